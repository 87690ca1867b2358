from markupsafe import Markup

from odoo import models


class MailComposeMessage(models.TransientModel):
    _inherit = "mail.compose.message"

    @property
    def _batch_size(self):
        """A journey's batch (``mail_journey.batch_size`` traces, 500 by
        default) is rendered in one pass. Odoo's mass mail mode splits it in
        batches of 50 and, after each, flushes and invalidates the whole
        cache (``_action_send_mail_mass_mail``): the journey batch's traces,
        records, partners, journey and company were read again ten times per
        batch, and the recipients' language, once per email. The
        ``mail.batch_size`` parameter, when set, still wins."""
        trace_ids = self.env.context.get("mail_journey_trace_ids")
        if trace_ids and self.composition_mode == "mass_mail":
            return max(len(trace_ids), 1)
        return super()._batch_size

    def _prepare_mail_values(self, res_ids):
        mail_values_all = super()._prepare_mail_values(res_ids)
        trace_ids = self.env.context.get("mail_journey_trace_ids")
        if trace_ids and self.composition_mode == "mass_mail":
            self._journey_set_final_content(mail_values_all)
            self.env["mail.journey.trace"].browse(trace_ids)._get_mail_tracking_values(
                mail_values_all
            )
        return mail_values_all

    def _journey_set_final_content(self, mail_values_all):
        """Replace the rendered subject and body of the emails given final
        content in the context (approved journey emails) by that content,
        after rendering: it is data and must not be rendered again."""
        final_content = self.env.context.get("mail_journey_final_content") or {}
        for res_id, values in mail_values_all.items():
            content = final_content.get(res_id)
            if not content:
                continue
            body = Markup(content.get("body_html") or "")
            values.update(
                {"subject": content.get("subject") or "", "body": body, "body_html": body}
            )
