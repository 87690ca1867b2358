from datetime import timedelta

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from odoo.addons.mail_journey_automation.tests.common import NOW

from .common import SmsJourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneySms(SmsJourneyCommon):
    """The step action 'Send an SMS': batch sending through Odoo's SMS
    composer, who gets no SMS and why, delivery reports, sending rules."""

    def _run(self, journey, leads=None, when=NOW, **gateway):
        """Start ``journey``, enroll ``leads`` and run what is due at
        ``when``, then let the SMS queue send, through the mocked gateway."""
        if journey.state != "running":
            journey.action_start()
        with self.mock_datetime_and_now(when), self.mockSMSGateway(**gateway):
            if leads:
                journey._enroll(leads)
            self._process()
            self._new_sms.filtered(lambda sms: sms.state == "outgoing").send()

    def _queries_to_send(self, leads):
        journey = self._create_journey([self._sms_step()])
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mockSMSGateway():
            journey._enroll(leads)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self._process()
            self.env.flush_all()
            queries = self.env.cr.sql_log_count - before
            self.assertEqual(len(self._new_sms), len(leads), "one SMS per record")
        return queries

    def test_sms_step_sends_one_sms_per_record(self):
        journey = self._create_journey([self._sms_step()])
        self._run(journey, self.leads)
        traces = self._traces(journey)
        self.assertEqual(set(traces.mapped("state")), {"done"})
        for lead, trace in zip(self.leads, traces.sorted("res_id"), strict=True):
            self.assertEqual(trace.sms_number, lead.phone)
            self.assertSMS(
                self.env["res.partner"],
                lead.phone,
                "pending",
                content=f"Hello {lead.contact_name}, our offer: ",
            )
            self.assertTrue(trace.sent_datetime, "the provider took it")
            self.assertEqual(trace.event_ids.mapped("type"), ["sent"])
            self.assertEqual(trace.event_ids.summary, "Sent the SMS 'SMS'")
            # the note on the lead keeps the link as typed
            note = lead.message_ids.filtered(lambda message: message.message_type == "sms")
            self.assertIn("https://www.example.com/offer", note.body)
        self.assertSMSIapSent(self.leads.mapped("phone"))

    def test_sms_batch_queries_do_not_grow_per_record(self):
        # a first run creates the link tracker and fills the caches
        self._queries_to_send(self._make_leads(1, prefix="+3249"))
        few = self._queries_to_send(self._make_leads(3, prefix="+3248"))
        many = self._queries_to_send(self._make_leads(12, prefix="+3247"))
        self.assertLessEqual(many - few, 2, f"{many} queries for 12 SMS, {few} for 3")

    def test_no_sms_without_number_blacklisted_or_without_consent(self):
        no_phone, blacklisted, withdrawn, reader = self._make_leads(4)
        no_phone.phone = False
        self.env["phone.blacklist"].sudo().add(blacklisted.phone)
        leads = no_phone | blacklisted | withdrawn | reader
        leads.journey_consent = True
        journey = self._create_journey([self._sms_step()], consent_required=True)
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mockSMSGateway():
            journey._enroll(leads)
            # consent withdrawn after the enrollment, before the SMS
            withdrawn.journey_consent = False
            self._process()
            self.assertEqual(len(self._new_sms), 1)
        traces = {trace.lead_id: trace for trace in self._traces(journey)}
        self.assertEqual(
            (traces[no_phone].state, traces[no_phone].state_message),
            ("cancelled", "No mobile number."),
        )
        self.assertEqual(
            (traces[blacklisted].state, traces[blacklisted].state_message),
            ("skipped", "The mobile number is blacklisted."),
        )
        self.assertEqual(
            (traces[withdrawn].state, traces[withdrawn].state_message),
            ("skipped", "The contact gave no consent."),
        )
        self.assertEqual(traces[reader].state, "done")
        self.assertEqual(self._new_sms.number, reader.phone)

    def test_same_number_gets_the_sms_once(self):
        twin = self._make_leads(1)
        twin.phone = self.leads[0].phone
        journey = self._create_journey([self._sms_step()])
        self._run(journey, self.leads[0] | twin)
        self.assertEqual(sorted(self._traces(journey).mapped("state")), ["done", "skipped"])

    def test_gateway_failure_marks_trace_error(self):
        journey = self._create_journey([self._sms_step()])
        failing = self.leads[1]
        self._run(journey, self.leads, nbr_t_error={failing.phone: "wrong_number_format"})
        failed = self._traces(journey, lead_id=failing.id)
        self.assertEqual(failed.state, "error")
        self.assertEqual(
            failed.state_message, "The SMS could not be delivered: Wrong Number Format"
        )
        self.assertFalse(failed.sent_datetime)
        self.assertEqual(
            set((self._traces(journey) - failed).mapped("state")), {"done"}, "the others went"
        )

    def test_send_window_holds_sms(self):
        journey = self._create_journey(
            [self._sms_step()], window_enabled=True, window_hour_from=13, window_hour_to=17
        )
        self._run(journey, self.leads[0])
        self.assertFalse(self._new_sms, "9:00 is outside the window")
        trace = self._traces(journey)
        self.assertEqual(trace.state, "scheduled")
        self.assertEqual(trace.state_message, "Outside the send window: waits for it to open.")
        self.assertGreater(trace.schedule_date, NOW)
        with self.mock_datetime_and_now(trace.schedule_date), self.mockSMSGateway():
            self._process()
            self.assertEqual(len(self._new_sms), 1, "sent once the window opens")
        self.assertEqual(trace.state, "done")

    def test_caps_count_sms_apart_from_emails(self):
        """With one message a day per recipient: the SMS and the email of a
        journey both go (each is the first of its channel), a second SMS
        waits for the next day."""
        lead = self.leads[0]
        first = self._create_journey([self._sms_step(), self._email_step(parent=0)], cap_day=1)
        second = self._create_journey([self._sms_step()], cap_day=1)
        with self.mock_mail_gateway():
            self._run(first, lead)
            self._run(first)  # the email after the SMS is due at once
        self.assertEqual(self._traces(first).mapped("state"), ["done", "done"])
        self._run(second, lead, when=NOW + timedelta(hours=1))
        waiting = self._traces(second)
        self.assertEqual(waiting.state, "scheduled")
        self.assertEqual(
            waiting.state_message,
            "Frequency cap of SMS reached for this number: waits for a free slot.",
        )
        self.assertEqual(waiting.schedule_date, NOW + timedelta(days=1))

    def test_sms_step_needs_a_template_of_the_journey_model(self):
        journey = self._create_journey([self._email_step()])
        with self.assertRaises(ValidationError):
            journey.step_ids.write({"action": "sms"})
        order_template = self.env["sms.template"].create(
            {
                "name": "Order SMS",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "body": "Your order",
            }
        )
        with self.assertRaises(ValidationError):
            journey.step_ids.write({"action": "sms", "sms_template_id": order_template.id})

    def test_branches_after_sms_are_clicks_and_bounces_only(self):
        journey = self._create_journey([self._sms_step()])
        sms_step = journey.step_ids
        Step = self.env["mail.journey.step"]
        for trigger in ("clicked", "not_clicked", "bounced"):
            Step.create(
                self._call_step(journey_id=journey.id, parent_id=sms_step.id, trigger=trigger)
            )
        for trigger in ("opened", "replied"):
            with self.assertRaises(ValidationError):
                Step.create(
                    self._call_step(journey_id=journey.id, parent_id=sms_step.id, trigger=trigger)
                )

    def test_only_journey_managers_set_the_sms_action(self):
        journey = self._create_journey([self._email_step()])
        step = journey.step_ids
        values = {"action": "sms", "sms_template_id": self.sms_template.id}
        with self.assertRaises(AccessError):
            step.with_user(self.user_sales).write(values)
        step.with_user(self.user_journey_manager).write(values)
        self.assertEqual(step.action, "sms")
        self._run(journey, self.leads[0])
        trace = self._traces(journey)
        with self.assertRaises(AccessError):
            trace.with_user(self.user_sales).write({"sms_number": "+32400000000"})
        with self.assertRaises(AccessError):
            self.env["sms.tracker"].with_user(self.user_sales).create(
                {"sms_uuid": "0" * 32, "mail_journey_trace_id": trace.id}
            )

    def test_uninstall_turns_sms_steps_into_todos(self):
        journey = self._create_journey([self._sms_step()])
        journey.action_start()
        journey.step_ids._journey_drop_sms()
        self.assertEqual(journey.state, "paused")
        self.assertEqual(journey.step_ids.action, "activity")
        self.assertEqual(journey.step_ids.activity_summary, "Send the SMS 'Journey SMS'")
