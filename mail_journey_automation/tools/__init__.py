from . import assignment
from . import free_mail
from . import intervals
from . import machine
from . import statistics
from . import stored_domain
from . import intent
