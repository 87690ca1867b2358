from . import controllers
from . import models
from . import report
from . import wizard


def _post_init_hook(env):
    env["mail.journey.stage.log"]._log_existing_leads()
