from odoo import api, fields, models


class MailJourneyTestRun(models.TransientModel):
    _name = "mail.journey.test.run"
    _description = "Journey Test Run"

    journey_id = fields.Many2one("mail.journey", required=True, ondelete="cascade")
    model = fields.Selection(related="journey_id.model")
    lead_id = fields.Many2one("crm.lead")
    order_id = fields.Many2one("sale.order", string="Sales Order")
    timeline = fields.Html(compute="_compute_timeline", sanitize=False)

    @api.depends("journey_id", "lead_id", "order_id")
    def _compute_timeline(self):
        for wizard in self:
            record = wizard._get_record()
            wizard.timeline = (
                self.env["ir.qweb"]._render(
                    "mail_journey_automation.test_run_timeline",
                    {"lines": wizard.journey_id._simulate(record), "record": record},
                )
                if record
                else False
            )

    def _get_record(self):
        self.ensure_one()
        return self.order_id if self.model == "sale.order" else self.lead_id
