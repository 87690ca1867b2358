from datetime import timedelta

from odoo.tests import tagged

from .common import BROWSER, NOW, PERSON_IP, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyIdleCompletion(JourneyCommon):
    """An enrollment with nothing scheduled completes once the customer's
    time to engage with its last email is over: its stored ``idle_deadline``,
    found by the executor without reading the enrollment's traces."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journey = cls._create_journey(
            [
                cls._email_step(name="Welcome"),
                {"name": "Call the reader", "action": "activity", "parent": 0, "trigger": "opened"},
            ],
            engagement_days=3,
        )
        cls.journey.action_start()
        cls.Enrollment = cls.env["mail.journey.enrollment"]

    def _complete_idle_at(self, date):
        with self.mock_datetime_and_now(date):
            return self.Enrollment._complete_idle()

    def test_waiting_enrollment_completes_only_after_its_deadline(self):
        enrollment = self._send_first_email(self.journey).enrollment_id
        self.assertEqual(enrollment.state, "running", "the customer may still open the email")
        self.assertEqual(enrollment.idle_deadline, NOW + timedelta(days=3))
        self.assertFalse(self._complete_idle_at(NOW + timedelta(days=3, seconds=-1)))
        self.assertEqual(enrollment.state, "running")
        self.assertEqual(self._complete_idle_at(NOW + timedelta(days=3)), enrollment)
        self.assertEqual(enrollment.state, "completed")
        self.assertEqual(enrollment.date_end, NOW + timedelta(days=3))
        self.assertFalse(enrollment.idle_deadline, "only running enrollments have one")

    def test_scheduled_step_holds_the_deadline(self):
        """While a step is scheduled the enrollment has no deadline (the
        executor completes it after the step); afterwards the engagement
        wait of the email still counts."""
        trace = self._send_first_email(self.journey)
        enrollment = trace.enrollment_id
        with self.mock_datetime_and_now(NOW + timedelta(days=1)):
            trace._register_open(user_agent=BROWSER, ip=PERSON_IP)
        self.assertFalse(enrollment.idle_deadline, "the reader's activity is scheduled")
        self.assertFalse(self._complete_idle_at(NOW + timedelta(days=5)))
        with self.mock_datetime_and_now(NOW + timedelta(days=1)):
            self._process()
        self.assertEqual(set(enrollment.trace_ids.mapped("state")), {"done"})
        self.assertEqual(enrollment.state, "running")
        self.assertEqual(enrollment.idle_deadline, NOW + timedelta(days=3))

    def test_engagement_days_change_moves_the_deadline(self):
        enrollment = self._send_first_email(self.journey).enrollment_id
        self.journey.engagement_days = 10
        self.assertEqual(enrollment.idle_deadline, NOW + timedelta(days=10))
        self.assertFalse(self._complete_idle_at(NOW + timedelta(days=5)))
        self.assertEqual(enrollment.state, "running")

    def test_nothing_to_wait_for_completes_at_the_next_run(self):
        """Nothing scheduled nor awaited (the step's branches were cut off by
        hand): the next executor run completes the enrollment."""
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        with self.mock_datetime_and_now(NOW):
            enrollment = journey._enroll(self.leads[1])
        self.assertFalse(enrollment.idle_deadline, "its first email is scheduled")
        with self.mock_datetime_and_now(NOW):
            enrollment.trace_ids._finish("cancelled", "cut off")
        self.assertEqual(enrollment.idle_deadline, NOW)
        self.assertEqual(self._complete_idle_at(NOW + timedelta(minutes=1)), enrollment)
        self.assertEqual(enrollment.state, "completed")

    def test_complete_idle_reads_no_trace(self):
        """The queries of completing 200 idle enrollments do not grow with
        the number of their traces (1 per enrollment, or 6)."""
        leads = self.env["crm.lead"].create(
            [
                {"name": f"Idle {index}", "email_from": f"idle{index}@example.com"}
                for index in range(200)
            ]
        )
        stage = {"action": "set_stage", "stage_id": self.stage_first.id}
        # a step waiting for an external event (chat, WhatsApp) keeps the
        # enrollment running for engagement_days, as an email's branches do
        waiting = {
            "name": "Call after the chat",
            "action": "activity",
            "trigger": "event",
            "event_name": "whatsapp_inquiry",
        }
        short = self._create_journey(
            [{"name": "Stage", **stage}, {**waiting, "parent": 0}], engagement_days=1
        )
        long = self._create_journey(
            [
                {"name": "Stage", **stage},
                *({"name": f"Stage {index}", **stage, "parent": index} for index in range(5)),
                {**waiting, "parent": 5},
            ],
            engagement_days=2,
        )
        (short | long).action_start()
        with self.mock_datetime_and_now(NOW):
            short._enroll(leads)
            long._enroll(leads)
            for _index in range(6):
                self._process()
        self.assertEqual(len(short.enrollment_ids.trace_ids), 200)
        self.assertEqual(len(long.enrollment_ids.trace_ids), 1200)
        self.assertEqual(set((short | long).enrollment_ids.mapped("state")), {"running"})
        for journey, days in ((short, 1), (long, 2)):
            self.env.invalidate_all()
            with (
                self.mock_datetime_and_now(NOW + timedelta(days=days)),
                self.assertQueryCount(7),
            ):
                completed = self.Enrollment._complete_idle()
            self.assertEqual(completed, journey.enrollment_ids)
        self.assertEqual(set((short | long).enrollment_ids.mapped("state")), {"completed"})
