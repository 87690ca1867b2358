from datetime import timedelta

from odoo.tests import tagged

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyStageLog(JourneyCommon):
    def test_stays_follow_the_stage_moves(self):
        with self.mock_datetime_and_now(NOW):
            lead = self.env["crm.lead"].create({"name": "Moves", "email_from": "m@example.com"})
        first = lead.journey_stage_id
        later = NOW + timedelta(days=3)
        with self.mock_datetime_and_now(later):
            lead.journey_stage_id = self.stage_proposal
        self.assertEqual(lead.journey_stage_date, later)
        logs = lead.journey_stage_log_ids.sorted("date_start")
        self.assertEqual(logs.stage_id, first | self.stage_proposal)
        self.assertEqual(
            [(log.date_start, log.date_end, log.next_stage_id) for log in logs],
            [(NOW, later, self.stage_proposal), (later, False, self.env["mail.journey.stage"])],
        )

    def test_writing_the_same_stage_opens_no_new_stay(self):
        lead = self.env["crm.lead"].create({"name": "Stays", "email_from": "s@example.com"})
        since = lead.journey_stage_date
        lead.journey_stage_id = lead.journey_stage_id
        self.assertEqual(len(lead.journey_stage_log_ids), 1)
        self.assertEqual(lead.journey_stage_date, since)

    def test_salesperson_reads_history_without_writing_it(self):
        lead = (
            self.env["crm.lead"]
            .with_user(self.user_sales)
            .create(
                {"name": "Mine", "email_from": "mine@example.com", "user_id": self.user_sales.id}
            )
        )
        lead.with_user(self.user_sales).journey_stage_id = self.stage_proposal
        logs = lead.with_user(self.user_sales).journey_stage_log_ids
        self.assertEqual(len(logs), 2)
        self.assertFalse(logs.has_access("write"))

    def test_install_logs_leads_without_history(self):
        lead = self.env["crm.lead"].create({"name": "Old", "email_from": "old@example.com"})
        lead.journey_stage_log_ids.unlink()
        self.env["mail.journey.stage.log"]._log_existing_leads()
        lead.invalidate_recordset(["journey_stage_log_ids"])
        self.assertEqual(lead.journey_stage_log_ids.stage_id, lead.journey_stage_id)
        self.assertEqual(lead.journey_stage_log_ids.date_start, lead.create_date)
