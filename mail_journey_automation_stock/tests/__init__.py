from . import test_journey_delivery
