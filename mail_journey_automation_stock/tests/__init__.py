from . import test_journey_delivery
from . import test_journey_partial_delivery
