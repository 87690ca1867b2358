from odoo import fields, models, tools
from odoo.tools import SQL


class MailJourneyStageSnapshot(models.Model):
    """How many leads sit in each journey stage at the end of each of the
    last 52 weeks (the current week: now), from the stage history."""

    _name = "mail.journey.stage.snapshot"
    _description = "Leads per Journey Stage over Time"
    _auto = False
    _order = "date desc, stage_id"
    _rec_name = "stage_id"

    date = fields.Date(string="Week", readonly=True)
    stage_id = fields.Many2one("mail.journey.stage", string="Journey Stage", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    lead_count = fields.Integer(
        string="Leads",
        readonly=True,
        aggregator="sum",
        help="Leads in the stage at the end of the week.",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %s AS (
                    -- ordered on every group column: a row has the same id in every
                    -- query (a search, then the read of the rows the user may see)
                    SELECT ROW_NUMBER() OVER (
                               ORDER BY week.day, log.stage_id, lead.user_id, lead.team_id,
                                        lead.company_id
                           ) AS id,
                           week.day::date AS date,
                           log.stage_id AS stage_id,
                           lead.user_id AS user_id,
                           lead.team_id AS team_id,
                           lead.company_id AS company_id,
                           COUNT(*) AS lead_count
                      FROM generate_series(
                               DATE_TRUNC('week', NOW() AT TIME ZONE 'UTC') - INTERVAL '51 weeks',
                               DATE_TRUNC('week', NOW() AT TIME ZONE 'UTC'),
                               INTERVAL '1 week'
                           ) AS week(day)
                      JOIN mail_journey_stage_log log
                        ON log.date_start < week.day + INTERVAL '1 week'
                       AND (log.date_end IS NULL OR log.date_end >= week.day + INTERVAL '1 week')
                      JOIN crm_lead lead ON lead.id = log.lead_id
                  GROUP BY week.day, log.stage_id, lead.user_id, lead.team_id, lead.company_id
                )
                """,
                SQL.identifier(self._table),
            )
        )
