from . import mail_journey_enroll
from . import mail_journey_test_run
