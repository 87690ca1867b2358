from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.mail_journey_automation.tests.common import NOW

from .common import WhatsappCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestWhatsappSend(WhatsappCommon):
    """The journey step 'Send a WhatsApp message': consent, the 24-hour
    window, variables as data, retries and Meta's refusals."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journey = cls._create_journey([cls._whatsapp_step()])
        cls.journey.action_start()

    def test_template_variables_are_sent_as_data(self):
        self.lead.contact_name = "{{ object.user_id.password }} ${1+1}"
        trace = self._run_journey(self.journey)
        self.assertEqual(trace.state, "done")
        self.assertEqual(trace.whatsapp_message_id, "wamid.TEST")
        self.assertEqual(trace.whatsapp_phone, self.lead_phone)
        (payload,) = self.graph_calls
        self.assertEqual(payload["to"], self.lead_phone)
        self.assertEqual(payload["template"]["name"], "product_video")
        self.assertEqual(
            [param["text"] for param in payload["template"]["components"][0]["parameters"]],
            ["{{ object.user_id.password }} ${1+1}", "Paper tube 50 mm"],
        )
        note = self.lead.message_ids.filtered(lambda m: "WhatsApp message sent" in m.body)
        self.assertIn("{{ object.user_id.password }} ${1+1}", note.body)

    def test_no_consent_is_skipped_with_the_reason(self):
        self.lead.whatsapp_opt_in = False
        trace = self._run_journey(self.journey)
        self.assertEqual(trace.state, "skipped")
        self.assertEqual(trace.state_message, "The contact has not consented to WhatsApp messages.")
        self.assertFalse(self.graph_calls)

    def test_stop_opts_out_and_later_sends_are_refused(self):
        self.account._whatsapp_process(
            self._notification(messages=[self._text_message("8613812345678", "STOP")])
        )
        self.assertFalse(self.lead.whatsapp_opt_in)
        self.assertTrue(self.lead.whatsapp_opt_out_date)
        trace = self._run_journey(self.journey)
        self.assertEqual(trace.state, "skipped")
        self.assertEqual(trace.state_message, "The contact opted out of WhatsApp messages.")
        self.assertFalse(self.graph_calls)

    def test_free_form_text_only_within_24_hours(self):
        journey = self._create_journey(
            [self._whatsapp_step(whatsapp_template_id=False, whatsapp_text="Your video: ...")]
        )
        journey.action_start()
        self.lead.whatsapp_last_inbound = NOW - timedelta(hours=25)
        trace = self._run_journey(journey)
        self.assertEqual(trace.state, "skipped")
        self.assertEqual(
            trace.state_message, "Outside WhatsApp's 24-hour window: use an approved template."
        )
        self.assertFalse(self.graph_calls)
        other = self.leads[1]
        other.write(
            {"phone": "+86 139 0000 0000", "whatsapp_last_inbound": NOW - timedelta(hours=23)}
        )
        trace = self._run_journey(journey, leads=other)
        self.assertEqual(trace.state, "done", "no consent needed to answer the customer")
        self.assertEqual(self.graph_calls[0]["type"], "text")
        self.assertEqual(self.graph_calls[0]["text"]["body"], "Your video: ...")

    def test_429_is_retried_later_then_sent(self):
        trace = self._run_journey(
            self.journey, answers=[(429, {"error": {"code": 130429, "message": "Rate limit hit"}})]
        )
        self.assertEqual(trace.state, "scheduled")
        self.assertEqual(trace.send_attempts, 1)
        self.assertEqual(trace.schedule_date, NOW + timedelta(minutes=2))
        self.assertIn("Rate limit hit", trace.state_message)
        with self.mock_datetime_and_now(NOW + timedelta(minutes=3)), self.mock_graph():
            self._process()
        self.assertEqual(trace.state, "done")
        self.assertEqual(trace.whatsapp_message_id, "wamid.TEST")

    def test_4xx_fails_with_metas_reason(self):
        trace = self._run_journey(
            self.journey,
            answers=[
                (
                    400,
                    {
                        "error": {
                            "code": 132001,
                            "message": "Template name does not exist in the translation",
                        }
                    },
                )
            ],
        )
        self.assertEqual(trace.state, "error")
        self.assertIn("(132001) Template name does not exist", trace.state_message)
        self.assertEqual(len(self.graph_calls), 1, "a refusal is not tried again")

    def test_sends_stay_within_the_rate(self):
        self.env["ir.config_parameter"].set_param("mail_journey_whatsapp.max_per_minute", 1)
        self.leads[1].write({"phone": "+86 139 0000 0000", "whatsapp_opt_in": True})
        traces = self._run_journey(self.journey, leads=self.leads[:2])
        self.assertEqual(sorted(traces.mapped("state")), ["done", "scheduled"])
        self.assertEqual(len(self.graph_calls), 1)

    def test_step_needs_every_template_variable(self):
        with self.assertRaises(ValidationError):
            self._create_journey([self._whatsapp_step(whatsapp_variable_ids=[])])
