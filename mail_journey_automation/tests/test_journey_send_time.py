from datetime import timedelta

from odoo.tests import tagged

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneySendTime(JourneyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.leads.user_id.tz = "UTC"
        cls.journey = cls._create_journey(
            [cls._email_step()],
            send_time_optimization=True,
            window_enabled=True,
            window_hour_from=8,
            window_hour_to=18,
        )
        cls.journey.action_start()

    def _log_opens(self, lead, hours, machine=False):
        self.env["mail.journey.event"].create(
            [
                {
                    "type": "open",
                    "lead_id": lead.id,
                    "date": NOW - timedelta(days=day + 1) + timedelta(hours=hour - NOW.hour),
                    "is_machine": machine,
                }
                for day, hour in enumerate(hours)
            ]
        )

    def _run_at(self, when):
        with self.mock_datetime_and_now(when), self.mock_mail_gateway():
            self._process()

    def test_best_open_hour(self):
        self._log_opens(self.leads[0], [14, 14, 10, 10, 14])
        self._log_opens(self.leads[1], [11, 16])
        self._log_opens(self.leads[2], [15, 15, 15], machine=True)
        self.assertEqual(
            self.journey._get_best_open_hours(self.leads),
            {self.leads[0].id: 14, self.leads[1].id: 11},
            "the most frequent hour, the earliest on a tie; machine opens do not count",
        )

    def test_postponed_to_best_hour(self):
        self._log_opens(self.leads[0], [14, 14, 10])
        with self.mock_datetime_and_now(NOW):
            self.journey._enroll(self.leads[0])
        self._run_at(NOW)
        trace = self._traces(self.journey)
        self.assertEqual(trace.state, "scheduled")
        self.assertTrue(trace.send_time_optimized)
        self.assertEqual(trace.schedule_date, NOW.replace(hour=14))
        self._run_at(NOW.replace(hour=14, minute=20))
        self.assertEqual(trace.state, "done")

    def test_no_history_sends_at_scheduled_time(self):
        with self.mock_datetime_and_now(NOW):
            self.journey._enroll(self.leads[0])
        self._run_at(NOW)
        trace = self._traces(self.journey)
        self.assertEqual(trace.state, "done")
        self.assertFalse(trace.send_time_optimized)

    def test_best_hour_outside_window_sends_at_scheduled_time(self):
        self._log_opens(self.leads[0], [21, 21])
        with self.mock_datetime_and_now(NOW):
            self.journey._enroll(self.leads[0])
        self._run_at(NOW)
        self.assertEqual(self._traces(self.journey).state, "done")

    def test_disabled_sends_at_scheduled_time(self):
        self.journey.send_time_optimization = False
        self._log_opens(self.leads[0], [14, 14])
        with self.mock_datetime_and_now(NOW):
            self.journey._enroll(self.leads[0])
        self._run_at(NOW)
        self.assertEqual(self._traces(self.journey).state, "done")
