from odoo import fields, models
from odoo.tools import SQL


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
    # funnel, from the stage history
    funnel_lead_count = fields.Integer(
        string="Leads Now",
        compute="_compute_funnel",
        groups="mail_journey_automation.group_journey_user",
        help="Active leads in the stage now.",
    )
    funnel_entered_count = fields.Integer(
        string="Entered",
        compute="_compute_funnel",
        groups="mail_journey_automation.group_journey_user",
        help="Times a lead entered the stage.",
    )
    funnel_advance_rate = fields.Float(
        string="Moved Forward (%)",
        digits=(16, 1),
        compute="_compute_funnel",
        groups="mail_journey_automation.group_journey_user",
        help="Share of the leads that entered the stage and went on to a later stage.",
    )
    funnel_median_days = fields.Float(
        string="Median Days",
        digits=(16, 1),
        compute="_compute_funnel",
        groups="mail_journey_automation.group_journey_user",
        help="Median time spent in the stage by the leads that left it.",
    )

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

    def _compute_funnel(self):
        current = dict(
            self.env["crm.lead"]._read_group(
                [("journey_stage_id", "in", self.ids)], ["journey_stage_id"], ["__count"]
            )
        )
        Report = self.env["mail.journey.stage.report"]
        query = Report._search([("stage_id", "in", self.ids)])
        query.groupby = SQL.identifier(Report._table, "stage_id")
        rows = self.env.execute_query(
            query.select(
                SQL.identifier(Report._table, "stage_id"),
                SQL("COUNT(*)"),
                SQL("SUM(%s)", SQL.identifier(Report._table, "advanced")),
                SQL(
                    "PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY %s) FILTER (WHERE %s = 1)",
                    SQL.identifier(Report._table, "days"),
                    SQL.identifier(Report._table, "exited"),
                ),
            )
        )
        funnel = {
            stage_id: (entered, advanced, median) for stage_id, entered, advanced, median in rows
        }
        for stage in self:
            entered, advanced, median = funnel.get(stage.id, (0, 0, None))
            stage.funnel_lead_count = current.get(stage, 0)
            stage.funnel_entered_count = entered
            stage.funnel_advance_rate = 100.0 * advanced / entered if entered else 0.0
            stage.funnel_median_days = median or 0.0
