from . import mail_journey_ratio_mixin
from . import mail_journey_report
from . import mail_journey_stage_report
from . import mail_journey_impact_report
