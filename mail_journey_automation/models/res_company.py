import secrets

from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    journey_event_token = fields.Char(
        string="Journey Events Token",
        copy=False,
        groups="base.group_system",
        help="Secret that chat and WhatsApp tools send (Authorization: Bearer ...) to "
        "report events on leads to /mail_journey/event.",
    )

    def action_journey_event_token_generate(self):
        for company in self:
            company.journey_event_token = secrets.token_urlsafe(32)
        return True
