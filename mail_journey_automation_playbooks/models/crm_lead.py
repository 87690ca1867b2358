from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # the wealth-products playbook matches products to it
    journey_risk_profile = fields.Selection(
        [
            ("conservative", "Conservative"),
            ("balanced", "Balanced"),
            ("growth", "Growth"),
        ],
        string="Risk Profile",
        help="The investor's risk profile, for journeys that match products to it.",
    )
