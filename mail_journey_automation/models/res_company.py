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
    # lifecycle sync: sales documents move the journey stage of their opportunity
    journey_lifecycle_sync = fields.Boolean(
        string="Sync Journey Stages with Sales",
        default=True,
        help="Quotations, confirmed orders and deliveries move the journey stage of their "
        "opportunity forward, which enrolls it in the journeys of the new stage.",
    )
    journey_care_days = fields.Integer(
        string="Long-term Care After (days)",
        default=30,
        help="Leads move from the delivery stage to the long-term care stage this many days "
        "after their order was delivered.",
    )

    _check_journey_care_days = models.Constraint(
        "CHECK(journey_care_days >= 0)", "The long-term care delay cannot be negative."
    )

    def action_journey_event_token_generate(self):
        for company in self:
            company.journey_event_token = secrets.token_urlsafe(32)
        return True

    def _journey_footer_address(self):
        """The company's postal address on one line for the journey email
        footer, without the empty parts an incomplete address leaves
        ("Suite 300, , Brisbane")."""
        self.ensure_one()
        text = self.partner_id._display_address(without_company=True)
        parts = (part.strip() for line in text.splitlines() for part in line.split(","))
        return ", ".join(part for part in parts if part)
