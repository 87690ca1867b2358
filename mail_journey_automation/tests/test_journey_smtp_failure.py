from contextlib import ExitStack
from datetime import timedelta
from smtplib import SMTPDataError, SMTPRecipientsRefused
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneySmtpFailure(JourneyCommon):
    def setUp(self):
        super().setUp()
        self.journey = self._create_journey([self._email_step()])
        self.journey.action_start()
        with self.mock_datetime_and_now(NOW):
            self.journey._enroll(self.leads[:2])
            self.traces = self._process()
        self.mails = self.traces.mail_mail_id
        self.assertEqual(len(self.mails), 2)

    def _run_queue(self, date, send_message=None, refuse_connection=False):
        """Run Odoo's mail queue at ``date`` against a fake SMTP server that
        answers ``send_message`` (a side effect) or refuses connections.
        Odoo logs each failed mail as an error: expected here."""
        with (
            self.mock_datetime_and_now(date),
            self.mock_smtplib_connection(),
            mute_logger("odoo.addons.mail.models.mail_mail"),
            ExitStack() as stack,
        ):
            if send_message:
                stack.enter_context(
                    patch.object(
                        self.testing_smtp_session, "send_message", side_effect=send_message
                    )
                )
            if refuse_connection:
                stack.enter_context(
                    patch(
                        "smtplib.SMTP",
                        side_effect=ConnectionRefusedError(111, "Connection refused"),
                    )
                )
            self.env["mail.mail"].process_email_queue()

    def test_unreachable_server_is_retried_with_backoff(self):
        self._run_queue(NOW, refuse_connection=True)
        self.assertEqual(set(self.mails.mapped("state")), {"outgoing"})
        self.assertEqual(set(self.mails.mapped("scheduled_date")), {NOW + timedelta(minutes=5)})
        self.assertEqual(self.traces.mapped("send_attempts"), [1, 1])
        self.assertEqual(set(self.traces.mapped("state")), {"done"})
        # not before the delay, then sent once the server is back
        self._run_queue(NOW + timedelta(minutes=4))
        self.assertFalse(any(self.traces.mapped("sent_datetime")))
        self._run_queue(NOW + timedelta(minutes=6))
        self.assertEqual(set(self.traces.mapped("sent_datetime")), {NOW + timedelta(minutes=6)})
        self.assertEqual(set(self.mails.mapped("state")), {"sent"})
        self.assertEqual(
            self.env["mail.mail"].search_count([("journey_trace_ids", "in", self.traces.ids)]),
            2,
            "the same mails were sent again, no copy",
        )

    def test_temporary_refusal_gives_up_after_the_last_attempt(self):
        busy = SMTPRecipientsRefused(
            {"contact0@customer0.example.com": (450, b"4.2.0 Mailbox busy")}
        )
        date = NOW
        for delay in (0, 5, 15, 45, 135):
            date += timedelta(minutes=delay)
            self._run_queue(date, send_message=busy)
        self.assertEqual(self.traces.mapped("send_attempts"), [5, 5])
        self.assertEqual(set(self.traces.mapped("state")), {"error"})
        self.assertIn("4.2.0 Mailbox busy", self.traces[0].state_message)
        self.assertEqual(set(self.mails.mapped("state")), {"exception"})

    def test_permanent_refusal_fails_at_once_and_others_go_on(self):
        refused_to = self.traces[0].email

        def send_message(message, smtp_from, smtp_to_list):
            if refused_to in smtp_to_list:
                raise SMTPDataError(550, b"5.1.1 No such user")

        self._run_queue(NOW, send_message=send_message)
        refused, delivered = self.traces
        self.assertEqual((refused.state, refused.send_attempts), ("error", 1))
        self.assertIn("5.1.1 No such user", refused.state_message)
        self.assertFalse(refused.sent_datetime)
        self.assertEqual((delivered.state, delivered.sent_datetime), ("done", NOW))
