from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyApproval(JourneyCommon):
    """An email step with "Salesperson Approves": the email is prepared and
    waits for the salesperson, who sends, edits then sends, or skips it;
    past its deadline it is escalated or sent as prepared."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls.env["crm.team"].create(
            {"name": "Export", "user_id": cls.user_journey_manager.id}
        )
        cls.leads.team_id = cls.team
        cls.journey = cls._create_journey(
            [
                cls._email_step(approval_required=True, approval_hours=24),
                cls._email_step(cls.template_intro, parent=0, interval_number=2),
            ]
        )
        cls.journey.action_start()
        cls.step_approved, cls.step_next = cls.journey.step_ids

    def _customer_mails(self):
        """The emails to customers (not the activity notifications of users)."""
        return self._new_mails.filtered(lambda mail: mail.model == "crm.lead")

    def _prepare_approval(self):
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            self.journey._enroll(self.leads[0])
            self._process()
        self.assertFalse(self._customer_mails(), "nothing is sent before the salesperson decides")
        return self.env["mail.journey.approval"].search([("journey_id", "=", self.journey.id)])

    def test_email_prepared_waits_for_salesperson(self):
        approval = self._prepare_approval()
        self.assertEqual(approval.subject, "Welcome Contact 0")
        self.assertIn("Hello Contact 0", approval.body_html)
        self.assertEqual(approval.email_to, self.leads[0].email_normalized)
        self.assertEqual(approval.user_id, self.user_sales)
        self.assertEqual(approval.state, "pending")
        self.assertEqual(approval.date_deadline, NOW + timedelta(hours=24))
        self.assertEqual(approval.activity_ids.user_id, self.user_sales)
        trace = approval.trace_id
        self.assertEqual(trace.state, "scheduled")
        self.assertEqual(trace.schedule_date, NOW + timedelta(hours=24))
        self.assertFalse(trace.mail_message_id)
        with self.mock_datetime_and_now(NOW + timedelta(hours=2)), self.mock_mail_gateway():
            self._process()
        self.assertEqual(
            self.env["mail.journey.approval"].search_count([("trace_id", "=", trace.id)]),
            1,
            "a second run prepares nothing again",
        )

    def test_send_as_prepared(self):
        approval = self._prepare_approval()
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)), self.mock_mail_gateway():
            approval.with_user(self.user_sales).action_send()
        self.assertMailMailWEmails(
            [self.leads[0].email_from], "outgoing", content="Hello Contact 0"
        )
        trace = approval.trace_id
        self.assertEqual(trace.state, "done")
        self.assertEqual(trace.mail_message_id.subject, "Welcome Contact 0")
        self.assertEqual(approval.state, "sent")
        self.assertEqual(approval.done_user_id, self.user_sales)
        self.assertFalse(approval.activity_ids, "the approval activity is done")
        follow_up = self._traces(self.journey, step_id=self.step_next.id)
        self.assertEqual(follow_up.state, "scheduled", "the journey goes on after the email")
        self.assertEqual(follow_up.schedule_date, NOW + timedelta(hours=1, days=2))

    def test_edit_then_send(self):
        approval = self._prepare_approval()
        approval.with_user(self.user_sales).write(
            {
                "subject": "Our catalogue, as promised",
                "body_html": "<p>Dear Mr Wang, here it is.</p>",
            }
        )
        with self.mock_mail_gateway():
            approval.with_user(self.user_sales).action_send()
        self.assertMailMailWEmails(
            [self.leads[0].email_from],
            "outgoing",
            content="Dear Mr Wang, here it is.",
            fields_values={"subject": "Our catalogue, as promised"},
        )
        self.assertNotIn("Hello Contact 0", self._customer_mails().body_html)
        self.assertIn(
            "/mail_journey/", self._customer_mails().body_html, "the edited email is tracked too"
        )
        self.assertEqual(approval.trace_id.mail_message_id.subject, "Our catalogue, as promised")

    def test_skip_ends_branch(self):
        approval = self._prepare_approval()
        with self.mock_mail_gateway():
            approval.with_user(self.user_sales).action_skip()
        self.assertFalse(self._customer_mails())
        self.assertEqual(approval.state, "skipped")
        self.assertEqual(approval.trace_id.state, "skipped")
        self.assertIn("Sally Sales", approval.trace_id.state_message)
        self.assertFalse(self._traces(self.journey, step_id=self.step_next.id))
        with self.assertRaises(UserError):
            approval.with_user(self.user_sales).action_send()

    def test_blacklisted_address_refused_at_send(self):
        approval = self._prepare_approval()
        self.env["mail.blacklist"]._add(self.leads[0].email_from)
        with self.mock_mail_gateway():
            approval.with_user(self.user_sales).action_send()
        self.assertFalse(self._customer_mails())
        self.assertEqual(approval.state, "cancelled")
        self.assertEqual(approval.trace_id.state, "skipped")
        self.assertIn("blacklisted", approval.note)

    def test_undone_approval_escalated_to_team_leader(self):
        approval = self._prepare_approval()
        with self.mock_datetime_and_now(NOW + timedelta(hours=23)), self.mock_mail_gateway():
            self._process()
        self.assertEqual(approval.state, "pending", "not before the deadline")
        escalated_at = NOW + timedelta(hours=24)
        with self.mock_datetime_and_now(escalated_at), self.mock_mail_gateway():
            self._process()
        self.assertFalse(self._customer_mails())
        self.assertEqual(approval.state, "escalated")
        self.assertEqual(approval.user_id, self.user_journey_manager)
        self.assertEqual(approval.activity_ids.user_id, self.user_journey_manager)
        self.assertEqual(approval.date_deadline, escalated_at + timedelta(hours=24))
        self.assertEqual(approval.trace_id.schedule_date, escalated_at + timedelta(hours=24))
        with (
            self.mock_datetime_and_now(escalated_at + timedelta(hours=1)),
            self.mock_mail_gateway(),
        ):
            approval.with_user(self.user_journey_manager).action_send()
        self.assertEqual(len(self._customer_mails()), 1)
        self.assertEqual(approval.state, "sent")

    def test_team_leader_with_own_documents_sends_escalated_approval(self):
        """A team leader who sees only their own leads still decides the
        approvals escalated to them, and is recorded as the one who did."""
        leader = new_test_user(
            self.env, login="journey_leader", groups="sales_team.group_sale_salesman"
        )
        self.team.user_id = leader
        approval = self._prepare_approval()
        with self.mock_datetime_and_now(NOW + timedelta(hours=24)), self.mock_mail_gateway():
            self._process()
        self.assertEqual(approval.user_id, leader)
        as_leader = approval.with_user(leader)
        with self.assertRaises(AccessError):
            as_leader.trace_id.read(["state"])
        with self.mock_datetime_and_now(NOW + timedelta(hours=25)), self.mock_mail_gateway():
            as_leader.action_send()
        self.assertEqual(len(self._customer_mails()), 1)
        self.assertEqual(approval.state, "sent")
        self.assertEqual(approval.done_user_id, leader)
        other = new_test_user(
            self.env, login="journey_bystander", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaises(AccessError):
            approval.with_user(other).action_skip()

    def test_undone_approval_sent_as_prepared(self):
        self.journey.approval_expiry = "send"
        approval = self._prepare_approval()
        approval.body_html = "<p>Edited but not sent</p>"
        with self.mock_datetime_and_now(NOW + timedelta(hours=24)), self.mock_mail_gateway():
            self._process()
        self.assertMailMailWEmails(
            [self.leads[0].email_from], "outgoing", content="Edited but not sent"
        )
        self.assertEqual(approval.state, "auto_sent")
        self.assertEqual(approval.trace_id.state, "done")

    def test_journey_end_cancels_open_approval(self):
        approval = self._prepare_approval()
        self.leads[0].with_user(self.user_sales).action_journey_take_over()
        self.assertEqual(approval.state, "cancelled")
        self.assertIn("Taken over", approval.note)
        self.assertFalse(approval.activity_ids)
        with self.assertRaises(UserError):
            approval.with_user(self.user_sales).action_send()

    def test_email_prepared_is_the_records_variant(self):
        segment = self.env["mail.journey.segment"].create(
            {
                "name": "Contact 0",
                "model": "crm.lead",
                "domain": f"[('id', '=', {self.leads[0].id})]",
            }
        )
        self.env["mail.journey.step.variant"].create(
            {
                "step_id": self.step_approved.id,
                "template_id": self.template_intro.id,
                "segment_id": segment.id,
            }
        )
        approval = self._prepare_approval()
        self.assertEqual(approval.subject, "Who we are")
        self.assertEqual(approval.trace_id.variant_id.template_id, self.template_intro)
