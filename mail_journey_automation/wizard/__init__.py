from . import mail_compose_message
from . import mail_journey_enroll
from . import mail_journey_test_run
from . import mail_journey_step_preview
