from odoo import fields, models
from odoo.tools import SQL


class MailJourneyStageReport(models.Model):
    """Stage funnel, from the stage history, with two kinds of rows:

    - a stay: one row per stay of a lead in a journey stage, whether the lead
      went on to a later stage and how long it stayed (up to now for the
      stays still open): the stage-to-stage conversion and the median days;
    - a week: how many leads sat in each stage at the end of each of the last
      52 weeks (the current week: now), per salesperson, team and source.

    Each measure belongs to one kind and is 0 on the other, so that both
    read from one report: the funnel grouped by stage, the weekly leads per
    stage grouped by week and stage."""

    _name = "mail.journey.stage.report"
    _description = "Journey Stage Funnel"
    _inherit = ["mail.journey.ratio.mixin"]
    _auto = False
    _order = "date desc, stage_id, id desc"
    _rec_name = "stage_id"
    _ratios = {
        "advance_rate": ("advanced", "entered", 100.0),
        "avg_days": ("days", "entered", 1.0),
    }

    row_type = fields.Selection(
        [("stay", "Stay in a Stage"), ("week", "Leads at the End of a Week")],
        string="Row",
        readonly=True,
    )
    date = fields.Date(
        readonly=True, help="The day a stay began, or the first day of a week's snapshot."
    )
    lead_id = fields.Many2one("crm.lead", string="Lead/Opportunity", readonly=True)
    stage_id = fields.Many2one("mail.journey.stage", string="Journey Stage", readonly=True)
    next_stage_id = fields.Many2one("mail.journey.stage", readonly=True)
    date_start = fields.Datetime(string="Entered On", readonly=True)
    date_end = fields.Datetime(string="Left On", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    source_id = fields.Many2one("utm.source", readonly=True)
    # measures of the stays
    entered = fields.Integer(readonly=True, aggregator="sum")
    exited = fields.Integer(
        string="Left the Stage",
        readonly=True,
        aggregator="sum",
        help="Stays that ended, for a later or an earlier stage.",
    )
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
    median_days = fields.Float(
        string="Median Days in Stage",
        digits=(16, 1),
        readonly=True,
        aggregator="sum",
        help="Median time spent in the stage by the leads that left it.",
    )
    # measure of the weeks
    lead_count = fields.Integer(
        string="Leads at Week End",
        readonly=True,
        aggregator="sum",
        help="Leads in the stage at the end of the week: add them up across stages, not "
        "across weeks.",
    )

    def init(self):
        self._create_ratio_view()

    def _read_group_select(self, aggregate_spec, query):
        # the median of a group is not a sum of its rows: the median of the
        # days of the stays that ended (open stays have no median_days)
        fname, __, func = aggregate_spec.partition(":")
        if fname == "median_days" and func in ("sum", "avg"):
            return SQL(
                "COALESCE(PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY %s), 0)",
                self._field_to_sql(self._table, "median_days", query),
            )
        return super()._read_group_select(aggregate_spec, query)

    def _base_query(self):
        # ids: even for the stays (their stage log), odd for the weeks,
        # numbered in the order of every group column so that a row has the
        # same id in every query (a search, then the read of the rows the
        # user may see)
        return SQL(
            """
            SELECT log.id * 2 AS id,
                   'stay' AS row_type,
                   log.date_start::date AS date,
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
                                      - log.date_start) / 86400.0 AS days,
                   CASE WHEN log.date_end IS NOT NULL
                        THEN EXTRACT(EPOCH FROM log.date_end - log.date_start) / 86400.0
                   END AS median_days,
                   0 AS lead_count
              FROM mail_journey_stage_log log
              JOIN crm_lead lead ON lead.id = log.lead_id
              JOIN mail_journey_stage stage ON stage.id = log.stage_id
         LEFT JOIN mail_journey_stage next_stage ON next_stage.id = log.next_stage_id
            UNION ALL
            SELECT ROW_NUMBER() OVER (
                       ORDER BY week.day, log.stage_id, lead.user_id, lead.team_id,
                                lead.company_id, lead.source_id
                   ) * 2 + 1,
                   'week',
                   week.day::date,
                   NULL,
                   log.stage_id,
                   NULL,
                   NULL,
                   NULL,
                   lead.user_id,
                   lead.team_id,
                   lead.company_id,
                   lead.source_id,
                   0,
                   0,
                   0,
                   0,
                   NULL,
                   COUNT(*)
              FROM generate_series(
                       DATE_TRUNC('week', NOW() AT TIME ZONE 'UTC') - INTERVAL '51 weeks',
                       DATE_TRUNC('week', NOW() AT TIME ZONE 'UTC'),
                       INTERVAL '1 week'
                   ) AS week(day)
              JOIN mail_journey_stage_log log
                ON log.date_start < week.day + INTERVAL '1 week'
               AND (log.date_end IS NULL OR log.date_end >= week.day + INTERVAL '1 week')
              JOIN crm_lead lead ON lead.id = log.lead_id
          GROUP BY week.day, log.stage_id, lead.user_id, lead.team_id, lead.company_id,
                   lead.source_id
            """
        )
