from odoo import models


class MailComposeMessage(models.TransientModel):
    _inherit = "mail.compose.message"

    def _prepare_mail_values(self, res_ids):
        mail_values_all = super()._prepare_mail_values(res_ids)
        trace_ids = self.env.context.get("mail_journey_trace_ids")
        if trace_ids and self.composition_mode == "mass_mail":
            self.env["mail.journey.trace"].browse(trace_ids)._get_mail_tracking_values(
                mail_values_all
            )
        return mail_values_all
