from . import mail_journey
