from odoo import fields, models
from odoo.tools import SQL


class MailJourneyStageReport(models.Model):
    """Stage funnel: one row per stay of a lead in a journey stage (from the
    stage history). Whether the lead went on to a later stage, and how long
    it stayed, measured up to now for the stays still open."""

    _name = "mail.journey.stage.report"
    _description = "Journey Stage Funnel"
    _inherit = ["mail.journey.ratio.mixin"]
    _auto = False
    _order = "date_start desc, id desc"
    _rec_name = "stage_id"
    _ratios = {
        "advance_rate": ("advanced", "entered", 100.0),
        "avg_days": ("days", "entered", 1.0),
    }

    lead_id = fields.Many2one("crm.lead", string="Lead/Opportunity", readonly=True)
    stage_id = fields.Many2one("mail.journey.stage", string="Journey Stage", readonly=True)
    next_stage_id = fields.Many2one("mail.journey.stage", readonly=True)
    date_start = fields.Datetime(string="Entered On", readonly=True)
    date_end = fields.Datetime(string="Left On", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    source_id = fields.Many2one("utm.source", readonly=True)
    # measures
    entered = fields.Integer(readonly=True, aggregator="sum")
    exited = fields.Integer(string="Left", readonly=True, aggregator="sum")
    advanced = fields.Integer(
        string="Moved Forward",
        readonly=True,
        aggregator="sum",
        help="Left the stage for a later one.",
    )
    days = fields.Float(
        string="Days in Stage",
        digits=(16, 1),
        readonly=True,
        aggregator="sum",
        help="Days spent in the stage, up to now for the leads still in it.",
    )
    advance_rate = fields.Float(
        string="Stage Conversion (%)",
        digits=(16, 1),
        readonly=True,
        aggregator="sum",
        help="Share of the leads that entered the stage and moved on to a later stage.",
    )
    avg_days = fields.Float(
        string="Average Days in Stage", digits=(16, 1), readonly=True, aggregator="sum"
    )

    def init(self):
        self._create_ratio_view()

    def _base_query(self):
        return SQL(
            """
            SELECT log.id AS id,
                   log.lead_id AS lead_id,
                   log.stage_id AS stage_id,
                   log.next_stage_id AS next_stage_id,
                   log.date_start AS date_start,
                   log.date_end AS date_end,
                   lead.user_id AS user_id,
                   lead.team_id AS team_id,
                   lead.company_id AS company_id,
                   lead.source_id AS source_id,
                   1 AS entered,
                   CASE WHEN log.date_end IS NOT NULL THEN 1 ELSE 0 END AS exited,
                   CASE WHEN (next_stage.sequence, next_stage.id) > (stage.sequence, stage.id)
                        THEN 1 ELSE 0 END AS advanced,
                   EXTRACT(EPOCH FROM COALESCE(log.date_end, NOW() AT TIME ZONE 'UTC')
                                      - log.date_start) / 86400.0 AS days
              FROM mail_journey_stage_log log
              JOIN crm_lead lead ON lead.id = log.lead_id
              JOIN mail_journey_stage stage ON stage.id = log.stage_id
         LEFT JOIN mail_journey_stage next_stage ON next_stage.id = log.next_stage_id
            """
        )
