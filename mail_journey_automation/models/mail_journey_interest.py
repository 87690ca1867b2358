from odoo import fields, models


class MailJourneyInterest(models.Model):
    _name = "mail.journey.interest"
    _description = "Customer Interest"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    color = fields.Integer()
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    lead_count = fields.Integer(string="Leads", compute="_compute_lead_count")

    _name_uniq = models.Constraint("UNIQUE(name)", "An interest with this name already exists.")

    def _compute_lead_count(self):
        counts = dict(
            self.env["crm.lead"]._read_group(
                [("journey_interest_ids", "in", self.ids)], ["journey_interest_ids"], ["__count"]
            )
        )
        for interest in self:
            interest.lead_count = counts.get(interest, 0)
