from . import test_journey_access
from . import test_journey_cron
from . import test_journey_execution
from . import test_journey_state
from . import test_journey_step
from . import test_journey_test_run
from . import test_journey_tracking
from . import test_journey_trigger
