from unittest.mock import patch

from odoo.tests import tagged

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneySentBookkeeping(JourneyCommon):
    """Once the mail server took a journey email, what the journey records
    about it (send date, "sent" event) cannot undo the send."""

    def setUp(self):
        super().setUp()
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        with self.mock_datetime_and_now(NOW):
            journey._enroll(self.leads[0])
            self.trace = self._process()
        self.mail = self.trace.mail_mail_id
        self.assertEqual(self.mail.state, "outgoing")

    def test_sent_email_records_its_date_and_event(self):
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            self.mail.send()
        self.assertEqual(len(self._mails), 1)
        self.assertEqual(self.mail.state, "sent")
        self.assertEqual(self.trace.sent_datetime, NOW)
        self.assertEqual(self.trace.event_ids.mapped("type"), ["sent"])

    def test_sent_bookkeeping_costs_a_fixed_number_of_queries(self):
        """Odoo's queue records each email it sent: a journey email's traces
        cost a check, a savepoint, one UPDATE and one INSERT whatever their
        number; an email of no journey costs the check alone."""
        other = self.env["mail.mail"].create(
            {"email_to": "other@example.com", "subject": "Other", "body_html": "<p>Hi</p>"}
        )
        self.env.flush_all()
        with self.assertQueryCount(1):
            other._journey_record_sent()
        with self.mock_datetime_and_now(NOW), self.assertQueryCount(5):
            self.mail._journey_record_sent()
        self.assertEqual(self.trace.sent_datetime, NOW)
        self.assertEqual(self.trace.event_ids.mapped("type"), ["sent"])
        self.assertEqual(self.trace.event_ids.date, NOW)
        with self.assertQueryCount(1):
            self.mail._journey_record_sent()
        self.assertEqual(len(self.trace.event_ids), 1, "recorded once")

    def test_failing_bookkeeping_leaves_the_email_sent(self):
        """An error while recording the send is logged; the mail stays sent
        (it is neither failed nor queued again, so not sent twice)."""

        def broken_insert_log_rows(events, vals_list):
            raise ValueError("journey bookkeeping broken")

        with (
            self.mock_datetime_and_now(NOW),
            self.mock_mail_gateway(),
            patch.object(
                type(self.env["mail.journey.event"]), "_insert_log_rows", broken_insert_log_rows
            ),
            self.assertLogs(
                "odoo.addons.mail_journey_automation.models.mail_mail", "WARNING"
            ) as logs,
        ):
            self.mail.send()
        self.assertEqual(len(self._mails), 1, "the email went out once")
        self.assertEqual(self.mail.state, "sent")
        self.assertFalse(self.mail.failure_type)
        self.assertEqual(self.trace.send_attempts, 0, "not queued again")
        self.assertFalse(self.trace.sent_datetime, "the bookkeeping was rolled back whole")
        self.assertFalse(self.trace.event_ids)
        self.assertIn(f"(mail.mail [{self.mail.id}])", logs.output[0])
        self.assertIn("ValueError", logs.output[0])
        self.assertNotIn(self.leads[0].email_from, logs.output[0], "no address in the log")
        # the queue runs again: the journey email is not sent a second time
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            self.env["mail.mail"].process_email_queue()
        email = self.leads[0].email_from
        self.assertFalse([mail for mail in self._mails if email in str(mail["email_to"])])
