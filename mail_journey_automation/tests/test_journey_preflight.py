from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.mail_journey_automation.wizard import mail_journey_preflight

from .common import JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyPreflight(JourneyCommon):
    """The pre-flight list of a journey's audience and "Send me a test"."""

    def _audience_journey(self, steps=None):
        return self._create_journey(
            [self._email_step()] if steps is None else steps,
            domain=f"[('id', 'in', {self.leads.ids})]",
        )

    def _preflight_lines(self, action):
        return (
            self.env[action["res_model"]]
            .with_user(self.user_journey_manager)
            .search(action["domain"])
        )

    def test_preflight_lists_records_with_reasons(self):
        self.leads.user_id = self.user_journey_manager
        self.leads[0].email_from = False
        self.env["mail.blacklist"].sudo()._add(self.leads[1].email_from)
        journey = self._audience_journey()
        action = journey.with_user(self.user_journey_manager).action_preflight()
        self.assertIn("3 records in the audience, 1 would be mailed.", action["name"])
        lines = self._preflight_lines(action)
        by_record = {line.res_id: line for line in lines}
        self.assertEqual(set(by_record), set(self.leads.ids))
        missing, blacklisted, fine = (by_record[lead.id] for lead in self.leads)
        self.assertFalse(missing.would_be_mailed)
        self.assertEqual(missing.reason, "The record has no valid email address.")
        self.assertFalse(missing.email)
        self.assertFalse(blacklisted.would_be_mailed)
        self.assertEqual(blacklisted.reason, "The email address is blacklisted.")
        self.assertEqual(blacklisted.email, self.leads[1].email_from)
        self.assertTrue(fine.would_be_mailed)
        self.assertFalse(fine.reason)
        self.assertEqual(fine.record_name, self.leads[2].display_name)
        self.assertEqual(
            fine.action_open_record(),
            {
                "type": "ir.actions.act_window",
                "res_model": "crm.lead",
                "res_id": self.leads[2].id,
                "view_mode": "form",
                "views": [(False, "form")],
                "target": "current",
            },
        )
        not_mailed = lines.filtered_domain([("would_be_mailed", "=", False)])
        self.assertEqual(not_mailed, missing | blacklisted)

    def test_preflight_lists_only_readable_records(self):
        # the manager is a salesperson with own documents: the other leads are Sally's
        self.leads[0].user_id = self.user_journey_manager
        journey = self._audience_journey()
        action = journey.with_user(self.user_journey_manager).action_preflight()
        self.assertEqual(self._preflight_lines(action).mapped("res_id"), self.leads[0].ids)
        self.assertIn("1 records in the audience, 1 would be mailed.", action["name"])

    def test_preflight_capped(self):
        self.leads.user_id = self.user_journey_manager
        journey = self._audience_journey()
        with patch.object(mail_journey_preflight, "PREFLIGHT_LIMIT", 2):
            action = journey.with_user(self.user_journey_manager).action_preflight()
        self.assertEqual(len(self._preflight_lines(action)), 2)
        self.assertIn("3 records in the audience, too many to list", action["name"])
        self.assertIn("only the first 2 are checked, 2 of them would be mailed.", action["name"])

    def test_preflight_refused_to_salesperson(self):
        journey = self._audience_journey()
        with self.assertRaises(AccessError):
            journey.with_user(self.user_sales).action_preflight()

    def test_send_test_to_current_user_only(self):
        lead = self.leads[0]
        lead.user_id = self.user_journey_manager
        journey = self._audience_journey()
        journey.action_start()
        messages = lead.message_ids
        wizard = (
            self.env["mail.journey.test.send"]
            .with_user(self.user_journey_manager)
            .create({"journey_id": journey.id})
        )
        self.assertEqual(wizard.record_ref, lead, "the first record of the audience")
        with self.mock_mail_gateway():
            wizard.action_send()
        self.assertEqual(len(self._new_mails), 1)
        mail = self._new_mails
        self.assertEqual(mail.email_to, self.user_journey_manager.email_formatted)
        self.assertFalse(mail.recipient_ids)
        self.assertFalse(mail.email_cc)
        self.assertEqual(mail.subject, "[Test] Welcome Contact 0")
        self.assertFalse(mail.model)
        self.assertFalse(mail.res_id)
        self.assertFalse(
            self.env["mail.journey.enrollment"].search([("journey_id", "=", journey.id)])
        )
        self.assertFalse(self._traces(journey))
        self.assertEqual(lead.message_ids, messages, "the record's chatter is left alone")

    def test_send_test_without_email_step(self):
        self.leads.user_id = self.user_journey_manager
        journey = self._audience_journey(steps=[])
        wizard = (
            self.env["mail.journey.test.send"]
            .with_user(self.user_journey_manager)
            .create({"journey_id": journey.id})
        )
        with self.assertRaisesRegex(UserError, "has no step that sends an email"):
            wizard.action_send()

    def test_send_test_without_user_email(self):
        self.leads.user_id = self.user_journey_manager
        self.user_journey_manager.email = False
        journey = self._audience_journey()
        wizard = (
            self.env["mail.journey.test.send"]
            .with_user(self.user_journey_manager)
            .create({"journey_id": journey.id})
        )
        with self.assertRaisesRegex(UserError, "no email address to send the test to"):
            wizard.action_send()

    def test_send_test_refused_to_salesperson(self):
        journey = self._audience_journey()
        with self.assertRaises(AccessError):
            self.env["mail.journey.test.send"].with_user(self.user_sales).create(
                {"journey_id": journey.id}
            )
