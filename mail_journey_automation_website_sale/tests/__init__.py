from . import test_abandoned_cart
from . import test_browse_abandonment
