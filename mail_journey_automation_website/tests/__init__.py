from . import test_website_form
