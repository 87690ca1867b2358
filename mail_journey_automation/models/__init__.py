from . import mail_journey_stage
from . import mail_journey
from . import mail_journey_step
from . import mail_journey_enrollment
from . import mail_journey_trace
from . import mail_journey_record_mixin
from . import crm_lead
from . import sale_order
