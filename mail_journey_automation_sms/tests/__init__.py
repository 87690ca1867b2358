from . import test_journey_sms
from . import test_journey_sms_tracking
