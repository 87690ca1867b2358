from . import mail_journey
from . import sale_order
from . import crm_lead
