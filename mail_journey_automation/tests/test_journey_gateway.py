from odoo.tests import tagged

from .common import MAIL_BOUNCE, MAIL_REPLY, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyGateway(JourneyCommon):
    """Replies and bounces arriving through Odoo's mail gateway."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journey = cls._create_journey([cls._email_step()])
        cls.journey.action_start()

    def _reply(self, trace, extra="", subject="Re: Welcome", to=None):
        lead = self.leads[0]
        self.format_and_process(
            MAIL_REPLY,
            lead.email_from,
            to or f"{self.alias_catchall}@{self.alias_domain}",
            subject=subject,
            extra=f"In-Reply-To: {trace.message_id}\nReferences: {trace.message_id}\n{extra}",
            target_model="crm.lead",
        )

    def test_reply_through_catchall_is_recorded_and_threaded(self):
        trace = self._send_first_email(self.journey)
        with self.mock_mail_gateway():
            self._reply(trace)
        self.assertTrue(trace.reply_datetime)
        self.assertEqual(
            trace.event_ids.filtered(lambda e: e.type == "reply").lead_id, self.leads[0]
        )
        self.assertEqual(self.leads[0].journey_reply_count, 1)
        reply = self.leads[0].message_ids.filtered(lambda m: m.subject == "Re: Welcome")
        self.assertEqual(len(reply), 1, "the reply lands in the lead's chatter")
        self.assertIn(
            self.user_sales.partner_id,
            reply.notification_ids.res_partner_id,
            "the salesperson is notified",
        )

    def test_auto_submitted_reply_is_not_a_reply(self):
        self.journey.exit_on_reply = True
        trace = self._send_first_email(self.journey)
        with self.mock_mail_gateway():
            self._reply(
                trace, extra="Auto-Submitted: auto-replied", subject="Automatic reply: Welcome"
            )
        self.assertFalse(trace.reply_datetime)
        self.assertEqual(trace.event_ids.type, "auto_reply")
        self.assertEqual(trace.enrollment_id.state, "completed", "all steps done, not by reply")
        self.assertNotEqual(trace.enrollment_id.exit_reason, "The customer replied.")
        self.assertEqual(self.leads[0].journey_reply_count, 0)

    def test_out_of_office_subject_is_not_a_reply(self):
        trace = self._send_first_email(self.journey)
        with self.mock_mail_gateway():
            self._reply(trace, subject="Out of Office: Welcome")
        self.assertFalse(trace.reply_datetime)
        self.assertEqual(trace.event_ids.machine_reason, "out-of-office subject")

    def test_reply_exits_and_moves_stage(self):
        self.journey.write({"exit_on_reply": True, "reply_stage_id": self.stage_proposal.id})
        journey = self._create_journey(
            [self._email_step(), self._email_step(parent=0, interval_number=3)],
            exit_on_reply=True,
        )
        journey.action_start()
        trace = self._send_first_email(journey)
        with self.mock_mail_gateway():
            self._reply(trace)
        self.assertEqual(trace.enrollment_id.state, "completed")
        self.assertEqual(trace.enrollment_id.exit_reason, "The customer replied.")
        self.assertEqual(set(trace.enrollment_id.trace_ids.mapped("state")), {"done", "cancelled"})

    def test_reply_moves_lead_to_stage(self):
        self.journey.reply_stage_id = self.stage_proposal
        journey = self._create_journey(
            [self._email_step(), self._email_step(parent=0, interval_number=3)],
            reply_stage_id=self.stage_proposal.id,
        )
        journey.action_start()
        trace = self._send_first_email(journey)
        with self.mock_mail_gateway():
            self._reply(trace)
        self.assertEqual(self.leads[0].journey_stage_id, self.stage_proposal)

    def test_bounce_marks_trace_and_counts(self):
        trace = self._send_first_email(self.journey)
        lead = self.leads[0]
        with self.mock_mail_gateway():
            self.format_and_process(
                MAIL_BOUNCE,
                "MAILER-DAEMON@mx.customer.example.com",
                f"{self.alias_bounce}@{self.alias_domain}",
                subject="Undelivered Mail Returned to Sender",
                bounced_email=lead.email_normalized,
                original_msg_id=trace.message_id,
                target_model="crm.lead",
            )
        self.assertTrue(trace.bounce_datetime)
        self.assertEqual(lead.journey_bounce_count, 1)
        self.assertEqual(lead.message_bounce, 1, "Odoo's own bounce counter")

    def test_address_over_bounce_limit_is_not_mailed(self):
        self.leads[0].message_bounce = 5
        traces = self._send_first_email(self.journey, self.leads[:2])
        bounced = traces.filtered(lambda trace: trace.res_id == self.leads[0].id)
        self.assertEqual(bounced.state, "skipped")
        self.assertEqual(bounced.state_message, "The email address bounced too often.")
        self.assertEqual((traces - bounced).state, "done")
