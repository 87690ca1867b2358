from odoo import fields, models


class MailMail(models.Model):
    _inherit = "mail.mail"

    journey_trace_ids = fields.One2many("mail.journey.trace", "mail_mail_id")

    def _postprocess_sent_message(
        self, success_pids, success_emails, failure_reason=False, failure_type=None
    ):
        if not failure_type:
            traces = self.journey_trace_ids.filtered(lambda trace: not trace.sent_datetime)
            traces.sudo().sent_datetime = fields.Datetime.now()
            traces._log_events("sent")
        return super()._postprocess_sent_message(
            success_pids, success_emails, failure_reason=failure_reason, failure_type=failure_type
        )
