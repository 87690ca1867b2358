from . import stored_domain
