from odoo import api, fields, models
from odoo.exceptions import UserError


class MailJourneyEnroll(models.TransientModel):
    _name = "mail.journey.enroll"
    _description = "Enroll Records in a Journey"

    res_model = fields.Char(string="Model", required=True)
    res_ids = fields.Json(string="Records", required=True)
    record_count = fields.Integer(compute="_compute_record_count")
    journey_id = fields.Many2one(
        "mail.journey",
        required=True,
        domain="[('model', '=', res_model), ('state', '=', 'running')]",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        values.setdefault("res_model", context.get("active_model"))
        values.setdefault("res_ids", context.get("active_ids") or [])
        return values

    @api.depends("res_ids")
    def _compute_record_count(self):
        for wizard in self:
            wizard.record_count = len(wizard.res_ids or [])

    def action_enroll(self):
        self.ensure_one()
        if self.journey_id.model != self.res_model:
            raise UserError(self.env._("Choose a journey made for these records."))
        records = self.env[self.res_model].browse(self.res_ids).exists()
        records.check_access("read")
        enrollments = self.journey_id._enroll(records)
        refused = len(records) - len(enrollments)
        message = self.env._(
            "%(count)s record(s) enrolled in %(journey)s.",
            count=len(enrollments),
            journey=self.journey_id.name,
        )
        if refused:
            message += " " + self.env._(
                "%(count)s record(s) did not enter: outside the audience or the company, "
                "or not allowed back in by the re-entry policy.",
                count=refused,
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if refused else "success",
                "message": message,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
