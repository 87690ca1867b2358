from . import event
from . import main
