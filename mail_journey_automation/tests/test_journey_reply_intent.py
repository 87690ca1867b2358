from datetime import datetime

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import MAIL_REPLY_SAYING, JourneyCommon

REQUIREMENTS = (
    "Hello, we need 5,000 kraft paper tubes, 60 mm diameter and 300 mm long, "
    "food grade, delivered to Shanghai before 30 April. Our budget is about "
    "1.20 USD per piece."
)


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyReplyIntent(JourneyCommon):
    """What a reply says decides what the journey does (issue 18)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead = cls.leads[0]

    def _reply(self, trace, body, subject="Re: Welcome", extra=""):
        with self.mock_datetime_and_now(datetime(2026, 3, 2, 10, 0)), self.mock_mail_gateway():
            self.format_and_process(
                MAIL_REPLY_SAYING,
                self.lead.email_from,
                f"{self.alias_catchall}@{self.alias_domain}",
                subject=subject,
                body=body,
                extra=f"In-Reply-To: {trace.message_id}\nReferences: {trace.message_id}\n{extra}",
                target_model="crm.lead",
            )

    def _price_branch_journey(self, *other_steps):
        """A running journey: an email, then "Send the price list" when a
        reply asks for a price (and ``other_steps``)."""
        price = self.env.ref("mail_journey_automation.reply_intent_price")
        journey = self._create_journey(
            [
                self._email_step(),
                self._email_step(
                    self.template_intro,
                    name="Send the price list",
                    parent=0,
                    trigger="replied_intent",
                    reply_intent_ids=[price.id],
                ),
                *other_steps,
            ],
            reply_quotation_stage_id=False,
        )
        journey.action_start()
        return journey

    def _reply_events(self, trace):
        return trace.event_ids.filtered(lambda event: event.type in ("reply", "auto_reply"))

    def test_requirements_reply_goes_straight_to_quotation(self):
        """The brief's case: a prospect in need exploration answers with
        detailed requirements; the lead moves to Proposal & quotation, the
        quotation journey starts and the routine 'not replied' email never
        goes."""
        self.lead.journey_stage_id = self.stage_exploration
        exploration = self._create_journey(
            [
                self._email_step(name="Needs questionnaire"),
                self._email_step(
                    self.template_intro,
                    name="Routine reminder",
                    parent=0,
                    trigger="not_replied",
                    interval_number=5,
                ),
            ]
        )
        exploration.action_start()
        quotation = self._create_journey(
            [self._email_step(self.template_intro, name="Detailed quotation")],
            trigger="journey_stage",
            stage_id=self.stage_proposal.id,
        )
        quotation.action_start()
        trace = self._send_first_email(exploration)
        reminder = self._traces(exploration, state="scheduled")
        self.assertEqual(reminder.step_id.name, "Routine reminder")

        self._reply(trace, REQUIREMENTS)

        event = self._reply_events(trace)
        self.assertEqual(event.type, "reply")
        self.assertEqual(event.reply_intent_id.code, "requirements")
        self.assertEqual(trace.reply_intent_id.code, "requirements")
        self.assertEqual(self.lead.journey_stage_id, self.stage_proposal)
        self.assertEqual(quotation.enrollment_ids.res_id, self.lead.id)
        self.assertEqual(reminder.state, "cancelled", "the routine email never goes")
        activity = self.lead.activity_ids.filtered(lambda a: a.summary.startswith("Reply:"))
        self.assertEqual(activity.user_id, self.user_sales)
        self.assertIn("requirements", activity.summary)
        self.assertIn("Gives requirements", str(activity.note))
        note = self.lead.message_ids.filtered(lambda m: "Reply read as" in str(m.body))
        self.assertEqual(len(note), 1, "the salesperson is told how the reply was read")
        self.assertIn(self.user_sales.partner_id, note.notification_ids.res_partner_id)

    def test_price_question_without_quotation_stage_only_gives_activity(self):
        journey = self._create_journey([self._email_step()], reply_quotation_stage_id=False)
        journey.action_start()
        trace = self._send_first_email(journey)
        self._reply(trace, "Could you send me your price list and a quotation please?")
        self.assertEqual(trace.reply_intent_id.code, "price")
        self.assertFalse(self.lead.journey_stage_id == self.stage_proposal)
        self.assertTrue(self.lead.activity_ids.filtered(lambda a: "price" in a.summary))

    def test_unsubscribe_reply_blacklists_and_exits(self):
        journey = self._create_journey([self._email_step(), self._email_step(parent=0)])
        journey.action_start()
        trace = self._send_first_email(journey)
        self._reply(trace, "Please remove me from your mailing list. Do not email me again.")
        self.assertEqual(trace.reply_intent_id.code, "unsubscribe")
        self.assertTrue(
            self.env["mail.blacklist"].search([("email", "=", self.lead.email_from)]),
            "the address is blacklisted",
        )
        self.assertEqual(trace.enrollment_id.state, "exited")

    def test_unsubscribe_reply_with_policy_off_only_records(self):
        journey = self._create_journey([self._email_step()], reply_act_unsubscribe=False)
        journey.action_start()
        trace = self._send_first_email(journey)
        self._reply(trace, "Please remove me from your mailing list. Do not email me again.")
        self.assertEqual(trace.reply_intent_id.code, "unsubscribe")
        self.assertFalse(self.env["mail.blacklist"].search([("email", "=", self.lead.email_from)]))

    def test_out_of_office_pauses_until_return_date_then_resumes(self):
        journey = self._create_journey(
            [self._email_step(), self._email_step(parent=0, interval_number=1)]
        )
        journey.action_start()
        trace = self._send_first_email(journey)
        self._reply(
            trace,
            "I am out of the office until 12 March with no access to email. "
            "I will reply when I am back.",
            subject="Automatic reply: Welcome",
            extra="Auto-Submitted: auto-replied",
        )
        event = self._reply_events(trace)
        self.assertEqual(event.type, "auto_reply", "an absence is not a reply")
        self.assertFalse(trace.reply_datetime)
        enrollment = trace.enrollment_id
        self.assertEqual(enrollment.state, "paused")
        self.assertEqual(enrollment.pause_until, datetime(2026, 3, 12))
        self.assertFalse(
            self.lead.message_ids.filtered(lambda m: "Reply read as" in str(m.body)),
            "nobody is told about an absence notice",
        )
        with self.mock_datetime_and_now(datetime(2026, 3, 11, 23, 0)):
            self.env["mail.journey.enrollment"]._cron_resume_paused()
        self.assertEqual(enrollment.state, "paused")
        with (
            self.mock_datetime_and_now(datetime(2026, 3, 12, 1, 0)),
            self.enter_registry_test_mode(),
        ):
            self.env.ref(
                "mail_journey_automation.ir_cron_mail_journey_resume"
            ).method_direct_trigger()
        self.assertEqual(enrollment.state, "running")

    def test_not_now_without_date_pauses_for_the_journey_days(self):
        journey = self._create_journey(
            [self._email_step(), self._email_step(parent=0, interval_number=1)],
            reply_pause_days=20,
        )
        journey.action_start()
        trace = self._send_first_email(journey)
        self._reply(trace, "Thanks, but not right now. Maybe later in the year, we are busy.")
        self.assertEqual(trace.reply_intent_id.code, "not_now")
        self.assertTrue(trace.reply_datetime, "a person's 'not now' is a reply")
        self.assertEqual(trace.enrollment_id.state, "paused")
        self.assertEqual(trace.enrollment_id.pause_until, datetime(2026, 3, 22, 10, 0))

    def test_wrong_person_proposes_the_referral(self):
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        trace = self._send_first_email(journey)
        self._reply(
            trace,
            "I am not the right person for this. Please contact our purchasing manager "
            "Li Wei at li.wei@customer0.example.com.",
        )
        self.assertEqual(trace.reply_intent_id.code, "wrong_person")
        activity = self.lead.activity_ids.filtered(lambda a: "referred" in a.summary)
        self.assertIn("li.wei@customer0.example.com", str(activity.note))

    def test_branch_waits_for_its_intents(self):
        journey = self._price_branch_journey(
            self._email_step(self.template_intro, name="Any reply", parent=0, trigger="replied")
        )
        trace = self._send_first_email(journey)
        self._reply(trace, "Do you also make tubes with a metal lid? What colours are there?")
        self.assertEqual(trace.reply_intent_id.code, "question")
        scheduled = self._traces(journey, state="scheduled").step_id.mapped("name")
        self.assertEqual(scheduled, ["Any reply"], "a question does not start the price branch")
        self._reply(trace, "How much does it cost? Please send a quotation.", subject="Re: Re: W")
        scheduled = self._traces(journey, state="scheduled").step_id.mapped("name")
        self.assertCountEqual(scheduled, ["Any reply", "Send the price list"])
        self.assertIn("replied to with 'Asks for a price'", journey.step_ids[1].description)

    def test_salesperson_corrects_the_intent_and_the_branch_runs(self):
        price = self.env.ref("mail_journey_automation.reply_intent_price")
        journey = self._price_branch_journey()
        trace = self._send_first_email(journey)
        self._reply(trace, "Do you also make tubes with a metal lid? What colours are there?")
        event = self._reply_events(trace)
        self.assertEqual(event.reply_intent_id.code, "question")

        other = new_test_user(
            self.env, login="other_sales", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaises(AccessError):
            event.with_user(other)._correct_intent(price)

        wizard = (
            self.env["mail.journey.intent.correct"]
            .with_user(self.user_sales)
            .with_context(**event.with_user(self.user_sales).action_correct_intent()["context"])
            .create({"reply_intent_id": price.id})
        )
        wizard.action_apply()
        self.assertEqual(event.reply_intent_id, price)
        self.assertTrue(event.intent_corrected)
        self.assertEqual(event.intent_original_id.code, "question")
        self.assertEqual(trace.reply_intent_id, price)
        self.assertEqual(
            self._traces(journey, state="scheduled").step_id.name, "Send the price list"
        )

    def test_auto_reply_corrected_to_a_person_becomes_a_reply(self):
        journey = self._create_journey([self._email_step()], reply_quotation_stage_id=False)
        journey.action_start()
        trace = self._send_first_email(journey)
        self._reply(
            trace,
            "Thank you for your message. This is an automatic confirmation that we " "received it.",
            extra="Auto-Submitted: auto-replied",
        )
        event = self._reply_events(trace)
        self.assertEqual(event.type, "auto_reply")
        interested = self.env.ref("mail_journey_automation.reply_intent_interested")
        event.with_user(self.user_sales)._correct_intent(interested)
        self.assertTrue(trace.reply_datetime)
        self.assertEqual(trace.reply_intent_id, interested)

    def test_step_needs_an_intent(self):
        with self.assertRaisesRegex(ValidationError, "choose at least one"):
            self._create_journey(
                [self._email_step(), self._email_step(parent=0, trigger="replied_intent")]
            )

    def test_performance_report_counts_replies_by_intent(self):
        journey = self._create_journey([self._email_step()], reply_quotation_stage_id=False)
        journey.action_start()
        traces = self._send_first_email(journey, leads=self.leads[:2])
        self.lead = self.leads[0]
        self._reply(traces.filtered(lambda t: t.res_id == self.lead.id), "How much per piece?")
        self.lead = self.leads[1]
        self._reply(
            traces.filtered(lambda t: t.res_id == self.lead.id),
            "Do you also make tubes with a metal lid? What colours are there?",
        )
        self.env.flush_all()
        groups = self.env["mail.journey.report"].formatted_read_group(
            [("journey_id", "=", journey.id)], ["reply_intent_id"], ["replied:sum"]
        )
        replies = {group["reply_intent_id"][1]: group["replied:sum"] for group in groups}
        self.assertEqual(replies, {"Asks for a price": 1, "Question": 1})
