from odoo import fields, models


class MailJourneyStage(models.Model):
    _name = "mail.journey.stage"
    _description = "Journey Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    fold = fields.Boolean(
        string="Folded in Kanban",
        help="Folded stages are collapsed in the leads' kanban grouped by journey stage.",
    )
    goal = fields.Text(
        translate=True,
        help="What the customer and the salesperson aim for in this stage.",
    )
    lifecycle_event = fields.Selection(
        [
            ("quotation", "Quotation created or sent"),
            ("order", "Order confirmed"),
            ("delivery", "Order delivered"),
            ("care", "Days after delivery"),
        ],
        string="Reached On",
        copy=False,
        help="With the sales lifecycle sync (Settings), opportunities move to this stage when "
        "this happens to their sales order, unless they are already in a later stage.",
    )
    journey_ids = fields.One2many("mail.journey", "stage_id", string="Journeys")
    journey_count = fields.Integer(compute="_compute_journey_count")

    _unique_lifecycle_event = models.UniqueIndex(
        "(lifecycle_event) WHERE lifecycle_event IS NOT NULL",
        "Only one journey stage can be reached on each sales event.",
    )

    def _compute_journey_count(self):
        counts = dict(
            self.env["mail.journey"]._read_group(
                [("stage_id", "in", self.ids)], ["stage_id"], ["__count"]
            )
        )
        for stage in self:
            stage.journey_count = counts.get(stage, 0)
