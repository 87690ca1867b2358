from . import mail_journey_report
