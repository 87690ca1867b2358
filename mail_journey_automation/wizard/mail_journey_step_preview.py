from odoo import api, fields, models


class MailJourneyStepPreview(models.TransientModel):
    _name = "mail.journey.step.preview"
    _description = "Journey Email Preview"

    step_id = fields.Many2one("mail.journey.step", required=True, ondelete="cascade")
    model = fields.Selection(related="step_id.model")
    lead_id = fields.Many2one("crm.lead")
    order_id = fields.Many2one("sale.order", string="Sales Order")
    variant_id = fields.Many2one("mail.journey.step.variant", compute="_compute_preview")
    template_id = fields.Many2one("mail.template", compute="_compute_preview")
    reason = fields.Char(string="Why", compute="_compute_preview")
    subject = fields.Char(compute="_compute_preview")
    body = fields.Html(compute="_compute_preview", sanitize=False)
    error = fields.Char(compute="_compute_preview")

    @api.depends("step_id", "lead_id", "order_id")
    def _compute_preview(self):
        for wizard in self:
            record = wizard.order_id if wizard.model == "sale.order" else wizard.lead_id
            values = dict.fromkeys(
                ("variant_id", "template_id", "reason", "subject", "body", "error"), False
            )
            if record:
                values.update(wizard._get_preview(record))
            wizard.update(values)

    def _get_preview(self, record):
        """The variant ``record`` gets at the step, why, and its email."""
        self.ensure_one()
        step = self.step_id
        enrollment = self.env["mail.journey.enrollment"].search(
            [
                ("journey_id", "=", step.journey_id.id),
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
            ],
            order="id desc",
            limit=1,
        )
        variant, reason = step._explain_variant(record, enrollment)
        template = variant.template_id or step.mail_template_id
        values = {"variant_id": variant.id, "template_id": template.id, "reason": reason}
        try:
            values["subject"] = template._render_field("subject", record.ids)[record.id]
            values["body"] = template._render_field("body_html", record.ids)[record.id]
        except Exception as error:  # noqa: BLE001 - shown to the user, who fixes the template
            values["error"] = self.env._("The template cannot be rendered: %(error)s", error=error)
        return values
