from . import test_journey_ready_made
