from . import mail_compose_message
from . import mail_journey_enroll
from . import mail_journey_test_run
from . import mail_journey_step_preview
from . import mail_journey_preflight
from . import mail_journey_preflight_line
from . import mail_journey_test_send
from . import mail_journey_playbook_use
