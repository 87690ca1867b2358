from odoo import fields, models


class SmsTracker(models.Model):
    """Delivery reports of journey SMS on their trace, as mass_mailing_sms
    does for its mailing traces: the provider's answer when the queue sends
    the SMS, and the delivery reports it posts later (``/sms/status``)."""

    _inherit = "sms.tracker"

    mail_journey_trace_id = fields.Many2one(
        "mail.journey.trace", ondelete="cascade", index="btree_not_null"
    )

    def _action_update_from_sms_state(self, sms_state, failure_type=False, failure_reason=False):
        result = super()._action_update_from_sms_state(
            sms_state, failure_type=failure_type, failure_reason=failure_reason
        )
        # the SMS queue and the provider's reports run as any user (or as
        # the public user): the traces are the journey's bookkeeping
        traces = self.sudo().mail_journey_trace_id
        if sms_state in ("pending", "sent"):
            traces._journey_record_sms_sent()
        elif sms_state == "error":
            traces._journey_record_sms_failure(failure_type, failure_reason)
        elif sms_state == "canceled":
            traces.filtered(lambda trace: not trace.sent_datetime)._finish(
                "cancelled", self.env._("The SMS was cancelled before it was sent.")
            )
        return result

    def _action_update_from_provider_error(self, provider_error):
        error_status, failure_type, failure_reason = super()._action_update_from_provider_error(
            provider_error
        )
        self.sudo().mail_journey_trace_id._journey_record_sms_failure(
            failure_type, failure_reason, bounce=error_status == "bounce"
        )
        return error_status, failure_type, failure_reason
