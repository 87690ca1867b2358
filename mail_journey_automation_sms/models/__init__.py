from . import mail_journey
from . import mail_journey_step
from . import mail_journey_trace
from . import mail_journey_delivery
from . import mail_journey_event
from . import sms_tracker
