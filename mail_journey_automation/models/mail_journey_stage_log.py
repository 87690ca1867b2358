from odoo import api, fields, models
from odoo.tools import SQL


class MailJourneyStageLog(models.Model):
    """One stay of a lead in a journey stage: the stage funnel reads when
    leads entered and left each stage, and where they went next."""

    _name = "mail.journey.stage.log"
    _description = "Journey Stage History"
    _order = "date_start desc, id desc"
    _rec_name = "stage_id"

    lead_id = fields.Many2one("crm.lead", required=True, index=True, ondelete="cascade")
    stage_id = fields.Many2one("mail.journey.stage", required=True, index=True, ondelete="cascade")
    next_stage_id = fields.Many2one("mail.journey.stage", ondelete="set null")
    date_start = fields.Datetime(string="Entered", required=True, index=True)
    date_end = fields.Datetime(string="Left", index=True)
    company_id = fields.Many2one(related="lead_id.company_id", store=True, index=True)

    @api.model
    def _log_stages(self, leads, date=None):
        """Close the open stay of ``leads`` and open one in their current
        journey stage."""
        date = date or fields.Datetime.now()
        open_logs = self.search([("lead_id", "in", leads.ids), ("date_end", "=", False)])
        for stage, logs in open_logs.grouped(lambda log: log.lead_id.journey_stage_id).items():
            logs.write({"date_end": date, "next_stage_id": stage.id})
        self.create(
            [
                {"lead_id": lead.id, "stage_id": lead.journey_stage_id.id, "date_start": date}
                for lead in leads
                if lead.journey_stage_id
            ]
        )

    @api.model
    def _log_existing_leads(self):
        """At install: one open stay per lead, from its creation."""
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO mail_journey_stage_log
                       (lead_id, stage_id, date_start, company_id,
                        create_uid, write_uid, create_date, write_date)
                SELECT lead.id, lead.journey_stage_id, lead.create_date, lead.company_id,
                       %(uid)s, %(uid)s, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
                  FROM crm_lead lead
                 WHERE lead.journey_stage_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM mail_journey_stage_log log
                                    WHERE log.lead_id = lead.id)
                """,
                uid=self.env.uid,
            )
        )
