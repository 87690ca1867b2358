from odoo import fields, models


class MailJourneyPreflightLine(models.TransientModel):
    """A record of the audience in a pre-flight check."""

    _name = "mail.journey.preflight.line"
    _description = "Journey Pre-flight Check Line"
    _order = "id"
    _rec_name = "record_name"

    preflight_id = fields.Many2one(
        "mail.journey.preflight", required=True, ondelete="cascade", index=True
    )
    journey_id = fields.Many2one(related="preflight_id.journey_id")
    # the record
    res_model = fields.Char("Model", required=True, readonly=True)
    res_id = fields.Many2oneReference("Record ID", model_field="res_model", readonly=True)
    record_name = fields.Char("Record", readonly=True)
    email = fields.Char(readonly=True)
    # the verdict
    would_be_mailed = fields.Boolean(readonly=True)
    reason = fields.Char(
        "Reason Not Mailed", readonly=True, help="Why a journey email would not reach the record."
    )

    def action_open_record(self):
        """Open the lead or order of the line (with the user's own rights)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }
