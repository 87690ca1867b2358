from . import mail_journey
from . import mail_journey_step
from . import sale_order
from . import stock_picking
