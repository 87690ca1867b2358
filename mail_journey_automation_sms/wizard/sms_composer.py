from odoo import models


class SmsComposer(models.TransientModel):
    _inherit = "sms.composer"

    def _prepare_mass_sms(self, records, sms_record_values):
        """Journey SMS (``mail_journey_sms_trace_ids`` in the context) get
        their tracked links and their SMS trackers before they are created,
        after the note on each record was written with the links as typed."""
        trace_ids = self.env.context.get("mail_journey_sms_trace_ids")
        if trace_ids and self.composition_mode == "mass":
            self.env["mail.journey.trace"].browse(trace_ids)._journey_prepare_sms(sms_record_values)
        return super()._prepare_mass_sms(records, sms_record_values)
