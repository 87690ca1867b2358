from . import crm_lead
from . import mail_journey
