from datetime import timedelta

from odoo.tests import tagged

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneySalesperson(JourneyCommon):
    """The salesperson in the loop: journeys pause after a personal contact,
    the salesperson takes records over, overdue hand-offs reach the leader."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls.env["crm.team"].create(
            {"name": "Export", "user_id": cls.user_journey_manager.id}
        )
        cls.leads.team_id = cls.team
        cls.journey = cls._create_journey(
            [
                cls._email_step(),
                cls._email_step(cls.template_intro, parent=0, interval_number=2),
            ],
            contact_pause_hours=48,
        )
        cls.journey.action_start()
        cls.step_next = cls.journey.step_ids[1]

    def _enrollment(self, lead):
        return self.journey.enrollment_ids.filtered(lambda enrollment: enrollment.lead_id == lead)

    def test_manual_email_pauses_journeys(self):
        self._send_first_email(self.journey, self.leads[:2])
        lead = self.leads[0]
        contact_at = NOW + timedelta(days=1)
        with self.mock_datetime_and_now(contact_at), self.mock_mail_gateway():
            lead.with_user(self.user_sales).message_post(
                body="Dear Mr Wang, following our call, here is the price list.",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        enrollment = self._enrollment(lead)
        self.assertEqual(enrollment.state, "paused")
        self.assertEqual(enrollment.pause_until, contact_at + timedelta(hours=48))
        self.assertIn("Sally Sales emailed the customer", enrollment.pause_reason)
        self.assertEqual(self._enrollment(self.leads[1]).state, "running", "only that record")
        with self.mock_datetime_and_now(NOW + timedelta(days=2)), self.mock_mail_gateway():
            self._process()
        self.assertFalse(
            self._new_mails.filtered(lambda mail: mail.res_id == lead.id),
            "no automated email on top of the personal one",
        )
        self.assertEqual(len(self._new_mails), 1, "the other lead gets its follow-up")

    def test_internal_note_does_not_pause(self):
        self._send_first_email(self.journey)
        self.leads[0].with_user(self.user_sales).message_post(
            body="Customer seems busy.", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        self.assertEqual(self._enrollment(self.leads[0]).state, "running")

    def test_logged_call_pauses_then_resumes(self):
        self._send_first_email(self.journey)
        lead = self.leads[0]
        call = lead.activity_schedule(
            "mail.mail_activity_data_call", user_id=self.user_sales.id, summary="Call Mr Wang"
        )
        contact_at = NOW + timedelta(hours=5)
        with self.mock_datetime_and_now(contact_at):
            call.with_user(self.user_sales).action_feedback(feedback="Interested, wants samples")
        enrollment = self._enrollment(lead)
        self.assertEqual(enrollment.state, "paused")
        self.assertIn("logged a Call", enrollment.pause_reason)
        resume_at = contact_at + timedelta(hours=48)
        with self.mock_datetime_and_now(resume_at - timedelta(minutes=1)):
            self.env["mail.journey.enrollment"]._cron_resume_paused()
        self.assertEqual(enrollment.state, "paused")
        with self.mock_datetime_and_now(resume_at), self.enter_registry_test_mode():
            self.env.ref(
                "mail_journey_automation.ir_cron_mail_journey_resume"
            ).method_direct_trigger()
        self.assertEqual(enrollment.state, "running")
        self.assertFalse(enrollment.pause_until)
        follow_up = self._traces(self.journey, step_id=self.step_next.id)
        self.assertEqual(follow_up.schedule_date, resume_at, "the overdue follow-up is due now")

    def test_pause_disabled_with_zero_hours(self):
        self.journey.contact_pause_hours = 0
        self._send_first_email(self.journey)
        self.leads[0].with_user(self.user_sales).message_post(
            body="Hello", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.assertEqual(self._enrollment(self.leads[0]).state, "running")

    def test_take_over_stops_journeys_with_summary(self):
        traces = self._send_first_email(self.journey)
        traces.open_datetime = NOW + timedelta(hours=1)
        lead = self.leads[0]
        lead.with_user(self.user_sales).action_journey_take_over()
        enrollment = self._enrollment(lead)
        self.assertEqual(enrollment.state, "exited")
        self.assertIn("Taken over by Sally Sales", enrollment.exit_reason)
        self.assertEqual(self._traces(self.journey, step_id=self.step_next.id).state, "cancelled")
        todo = lead.activity_ids.filtered(lambda activity: "Follow up" in activity.summary)
        self.assertEqual(todo.user_id, self.user_sales)
        self.assertIn("Welcome Contact 0", str(todo.note))
        self.assertIn("opened", str(todo.note))

    def test_overdue_handoff_notifies_team_leader(self):
        journey = self._create_journey(
            [self._call_step()],
            handoff_notify_leader=True,
        )
        journey.action_start()
        with self.mock_datetime_and_now(NOW):
            journey._enroll(self.leads[:2])
            self._process()
        handoffs = self.env["mail.activity"].search(
            [("journey_trace_id.journey_id", "=", journey.id)]
        )
        self.assertEqual(len(handoffs), 2)
        self.assertEqual(set(handoffs.mapped("date_deadline")), {NOW.date() + timedelta(days=2)})
        handoffs.filtered(lambda activity: activity.res_id == self.leads[1].id).action_feedback()
        Activity = self.env["mail.activity"]
        with self.mock_datetime_and_now(NOW + timedelta(days=2)):
            self.assertFalse(Activity._journey_notify_overdue(), "due today is not overdue")
        with self.mock_datetime_and_now(NOW + timedelta(days=3)):
            notified = Activity._journey_notify_overdue()
            self.assertEqual(notified.res_id, self.leads[0].id)
            self.assertFalse(Activity._journey_notify_overdue(), "the leader is told once")
        alert = self.leads[0].activity_ids.filtered(lambda activity: "Overdue" in activity.summary)
        self.assertEqual(alert.user_id, self.user_journey_manager)
        overdue = Activity.search(
            [
                ("journey_trace_id", "!=", False),
                ("date_deadline", "<", NOW.date() + timedelta(days=3)),
            ]
        )
        self.assertEqual(overdue, notified)
