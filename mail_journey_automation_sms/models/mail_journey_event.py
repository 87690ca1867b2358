from odoo import models


class MailJourneyEvent(models.Model):
    _inherit = "mail.journey.event"

    def _get_summary(self):
        if self.type == "sent" and self.step_id.action == "sms":
            return self.env._("Sent the SMS '%(sms)s'", sms=self.step_id.name)
        return super()._get_summary()
