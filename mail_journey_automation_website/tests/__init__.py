from . import test_website_form
from . import test_website_double_optin
from . import test_website_trigger
