from datetime import timedelta

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import NOW, JourneyCommon

# an expression that, if rendered as superuser, makes its author a system administrator
ESCALATION = (
    "{{ object.env.ref('base.group_system').write(" "{'user_ids': [(4, object.env.uid)]}) }}"
)


@tagged("post_install", "-at_install", "mail_journey", "mail_journey_security")
class TestJourneySecurityApproval(JourneyCommon):
    """An email to approve is rendered once: what the salesperson edits, or
    what a visitor typed into a form field the template prints, goes out as
    text, never as an expression rendered again (as superuser)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journey = cls._create_journey(
            [cls._email_step(approval_required=True, approval_hours=24)]
        )
        cls.journey.action_start()
        cls.group_system = cls.env.ref("base.group_system")

    def _customer_mails(self):
        return self._new_mails.filtered(lambda mail: mail.model == "crm.lead")

    def _prepare_approval(self, lead):
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            self.journey._enroll(lead)
            self._process()
        return self.env["mail.journey.approval"].search([("journey_id", "=", self.journey.id)])

    def test_salesperson_expression_in_subject_and_body_is_sent_as_text(self):
        approval = self._prepare_approval(self.leads[0])
        edited = approval.with_user(self.user_sales)
        edited.write(
            {
                "subject": f"Offer {{{{ 6 * 7 }}}} {ESCALATION}",
                "body_html": f"<p>Total: {{{{ 6 * 7 }}}} {ESCALATION}</p>",
            }
        )
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)), self.mock_mail_gateway():
            edited.action_send()
            mail = self._customer_mails()
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.subject, f"Offer {{{{ 6 * 7 }}}} {ESCALATION}")
        self.assertIn("{{ 6 * 7 }}", mail.body_html)
        self.assertNotIn("Offer 42", mail.subject)
        self.assertNotIn("Total: 42", mail.body_html)
        self.assertNotIn(self.user_sales, self.group_system.sudo().user_ids)
        self.assertEqual(approval.trace_id.mail_message_id.subject, mail.subject)

    def test_visitor_expression_in_form_field_is_sent_as_prepared_text(self):
        """A website visitor types an expression as their name: the template
        prints it once; the cron sending the prepared email at the deadline
        does not render it again."""
        lead = self.env["crm.lead"].create(
            {
                "name": "Website enquiry",
                "contact_name": f"{{{{ 6 * 7 }}}} {ESCALATION}",
                "email_from": "visitor@customer.example.com",
                "user_id": self.user_sales.id,
            }
        )
        self.journey.approval_expiry = "send"
        approval = self._prepare_approval(lead)
        self.assertEqual(approval.subject, f"Welcome {{{{ 6 * 7 }}}} {ESCALATION}")
        with self.mock_datetime_and_now(NOW + timedelta(hours=25)), self.mock_mail_gateway():
            self._process()
            mail = self._customer_mails()
        self.assertEqual(approval.state, "auto_sent")
        self.assertEqual(mail.subject, f"Welcome {{{{ 6 * 7 }}}} {ESCALATION}")
        self.assertNotIn("Welcome 42", mail.subject)

    def test_salesperson_cannot_rewrite_approval_bookkeeping(self):
        approval = self._prepare_approval(self.leads[0])
        other = self._create_journey([self._email_step()], name="Other")
        other.action_start()
        other_trace = self._send_first_email(other, self.leads[1])
        as_salesperson = approval.with_user(self.user_sales)
        for values in (
            {"trace_id": other_trace.id},
            {"state": "sent"},
            {"user_id": self.user_journey_manager.id},
            {"date_deadline": NOW},
        ):
            with self.subTest(values=values), self.assertRaises(AccessError):
                as_salesperson.write(values)
        with self.assertRaises(AccessError):
            self.env["mail.journey.approval"].with_user(self.user_sales).create(
                {"trace_id": other_trace.id, "subject": "x", "date_deadline": NOW}
            )
        self.assertEqual(approval.trace_id.journey_id, self.journey)
        self.assertEqual(approval.state, "pending")
