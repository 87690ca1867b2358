from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyState(JourneyCommon):
    def setUp(self):
        super().setUp()
        self.journey = self._create_journey(
            [self._email_step(interval_number=1, interval_unit="hours")]
        )

    def test_cannot_start_without_steps(self):
        with self.assertRaises(UserError):
            self._create_journey().action_start()

    def test_pause_holds_traces(self):
        with self.mock_datetime_and_now(NOW):
            self.journey.action_start()
            self.journey._enroll(self.leads)
            self.journey.action_pause()
        self.assertEqual(self.journey.state, "paused")
        with self.mock_datetime_and_now(NOW + timedelta(hours=2)), self.mock_mail_gateway():
            self._process()
        self.assertEqual(set(self._traces(self.journey).mapped("state")), {"scheduled"})
        self.assertFalse(self._new_mails)

    def test_resume_reschedules_overdue(self):
        with self.mock_datetime_and_now(NOW):
            self.journey.action_start()
            self.journey._enroll(self.leads)
            self.journey.action_pause()
        resume_at = NOW + timedelta(days=3)
        with self.mock_datetime_and_now(resume_at):
            self.journey.action_resume()
        traces = self._traces(self.journey)
        self.assertEqual(set(traces.mapped("schedule_date")), {resume_at})
        with self.mock_datetime_and_now(resume_at), self.mock_mail_gateway():
            self._process()
        self.assertEqual(set(traces.mapped("state")), {"done"})

    def test_stop_cancels_traces(self):
        self.journey.action_start()
        self.journey._enroll(self.leads)
        self.journey.action_stop()
        self.assertEqual(set(self._traces(self.journey).mapped("state")), {"cancelled"})
        self.assertEqual(set(self.journey.enrollment_ids.mapped("state")), {"cancelled"})
        self.assertFalse(self.journey._enroll(self.leads), "a stopped journey enrolls nobody")

    def test_cannot_delete_running_journey(self):
        self.journey.action_start()
        with self.assertRaises(UserError):
            self.journey.unlink()

    def test_pause_and_resume_from_lead(self):
        with self.mock_datetime_and_now(NOW):
            self.journey.action_start()
            self.journey._enroll(self.leads)
            self.leads[0].with_user(self.user_sales).action_journey_pause()
        enrollment = self.journey.enrollment_ids.filtered(lambda e: e.lead_id == self.leads[0])
        self.assertEqual(enrollment.state, "paused")
        self.assertFalse(self.journey._enroll(self.leads[0]), "a paused record is still in")
        with self.mock_datetime_and_now(NOW + timedelta(hours=2)), self.mock_mail_gateway():
            self._process()
        self.assertEqual(enrollment.trace_ids.state, "scheduled", "paused: held")
        self.assertEqual(len(self._new_mails), 2, "the other leads go on")
        with self.mock_datetime_and_now(NOW + timedelta(hours=3)), self.mock_mail_gateway():
            self.leads[0].with_user(self.user_sales).action_journey_resume()
            self.assertEqual(enrollment.trace_ids.schedule_date, NOW + timedelta(hours=3))
            self._process()
        self.assertEqual(enrollment.trace_ids.state, "done")

    def test_stop_journeys_from_lead(self):
        self.journey.action_start()
        self.journey._enroll(self.leads)
        self.assertEqual(self.leads[0].journey_running_count, 1)
        self.assertEqual(self.leads[0].journey_next_step_id, self.journey.step_ids)
        self.leads[0].with_user(self.user_sales).action_journey_stop()
        self.leads.invalidate_recordset(["journey_running_count"])
        self.assertEqual(self.leads[0].journey_running_count, 0)
        self.assertEqual(self.leads[1].journey_running_count, 1)
