import json

from odoo.tests import HttpCase, tagged

from ..tools import cloud_api
from .common import APP_SECRET, VERIFY_TOKEN, WhatsappCommon


class WhatsappWebhookCommon(WhatsappCommon, HttpCase):
    def _url(self, account=None):
        return f"/mail_journey/whatsapp/webhook/{(account or self.account).id}"

    def _post(self, payload, secret=APP_SECRET, account=None, signature=None):
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Hub-Signature-256"] = signature or cloud_api.sign(secret, body)
        return self.url_open(self._url(account), data=body, headers=headers)

    def _events(self, **domain):
        return self.env["mail.journey.event"].search(
            [(key, "=", value) for key, value in domain.items()]
        )


@tagged("post_install", "-at_install", "mail_journey")
class TestWhatsappWebhook(WhatsappWebhookCommon):
    """The webhook Meta calls: the handshake, the signature, statuses and
    the customers' messages."""

    def test_handshake_echoes_the_challenge_for_the_verify_token(self):
        query = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token="
        response = self.url_open(f"{self._url()}?{query}{VERIFY_TOKEN}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.text, "1158201444")
        response = self.url_open(f"{self._url()}?{query}wrong-token")
        self.assertEqual(response.status_code, 403)
        self.assertNotIn("1158201444", response.text)

    def test_post_without_valid_signature_is_refused_and_records_nothing(self):
        payload = self._notification(messages=[self._text_message("8613812345678", "price?")])
        leads_before = self.env["crm.lead"].search_count([])
        for kwargs in (
            {"secret": None},
            {"secret": "not-the-app-secret"},
            {"signature": "sha256=0"},
        ):
            with self.subTest(**kwargs):
                self.assertEqual(self._post(payload, **kwargs).status_code, 403)
        self.assertFalse(self._events(name="whatsapp_message"))
        self.assertEqual(self.env["crm.lead"].search_count([]), leads_before)
        self.assertFalse(self.lead.whatsapp_last_inbound)

    def _sent_trace(self, journey):
        trace = self._run_journey(journey)
        self.assertEqual(trace.state, "done")
        return trace

    def test_statuses_become_events_and_read_opens(self):
        journey = self._create_journey(
            [
                self._whatsapp_step(),
                {**self._call_step(), "parent": 0, "trigger": "opened"},
            ]
        )
        journey.action_start()
        trace = self._sent_trace(journey)
        for status in ("sent", "delivered", "read", "read"):
            response = self._post(
                self._notification(statuses=[{"id": "wamid.TEST", "status": status}])
            )
            self.assertEqual(response.status_code, 200)
        self.assertEqual(sorted(trace.event_ids.mapped("type")), ["delivered", "open", "sent"])
        self.assertTrue(trace.sent_datetime)
        self._count_engagement()
        self.assertEqual(trace.open_count, 1, "a read notified twice counts once")
        opened = self._traces(journey, parent_trace_id=trace.id)
        self.assertEqual(opened.step_id.trigger, "opened", "the read schedules 'opened'")
        self.assertEqual(self.lead.journey_open_count, 1)

    def test_failed_status_fails_the_trace_with_metas_code_and_text(self):
        journey = self._create_journey([self._whatsapp_step()])
        journey.action_start()
        trace = self._sent_trace(journey)
        status = {
            "id": "wamid.TEST",
            "status": "failed",
            "errors": [{"code": 131026, "title": "Message undeliverable"}],
        }
        self.assertEqual(self._post(self._notification(statuses=[status])).status_code, 200)
        self.assertEqual(trace.state, "error")
        self.assertIn("(131026) Message undeliverable", trace.state_message)
        self.assertIn("131026", trace.event_ids.filtered(lambda e: e.type == "failed").description)

    def test_unknown_status_is_ignored_with_200(self):
        response = self._post(self._notification(statuses=[{"id": "wamid.NONE", "status": "read"}]))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(self._events(type="open"))

    def test_inbound_message_reaches_the_lead_and_starts_journeys(self):
        journey = self._create_journey(
            [self._call_step()], trigger="external", external_event="whatsapp_message"
        )
        journey.action_start()
        message = self._text_message("8613812345678", "What is the price of 50 mm tubes?")
        response = self._post(
            self._notification(
                messages=[message],
                contacts=[{"wa_id": "8613812345678", "profile": {"name": "Lina Chen"}}],
            )
        )
        self.assertEqual(response.status_code, 200)
        chatter = self.lead.message_ids.filtered(lambda m: "price of 50 mm" in (m.body or ""))
        self.assertEqual(chatter.message_type, "comment")
        self.assertIn("Lina Chen", chatter.body)
        (event,) = self._events(name="whatsapp_message")
        self.assertEqual(event.lead_id, self.lead)
        self.assertEqual(event.whatsapp_message_id, "wamid.IN1")
        self.assertEqual(event.reply_intent_id.code, "price", "the text is read as a reply")
        self.assertEqual(event.intent_sentence, "What is the price of 50 mm tubes?")
        self.assertTrue(self.lead.whatsapp_last_inbound)
        self.assertEqual(journey.enrollment_ids.lead_id, self.lead)
        # Meta notifies a message again when unsure: it is recorded once
        self._post(self._notification(messages=[message]))
        self.assertEqual(len(self._events(name="whatsapp_message")), 1)

    def test_journey_with_words_starts_only_for_messages_containing_them(self):
        journey = self._create_journey(
            [self._call_step()],
            trigger="external",
            external_event="whatsapp_message",
            whatsapp_keywords="price, 报价",
        )
        journey.action_start()
        self._post(self._notification(messages=[self._text_message("8613812345678", "Hello")]))
        self.assertFalse(journey.enrollment_ids)
        self._post(
            self._notification(
                messages=[self._text_message("8613812345678", "请问报价", message_id="wamid.IN2")]
            )
        )
        self.assertEqual(journey.enrollment_ids.lead_id, self.lead)

    def test_branch_with_words_is_scheduled_only_when_the_message_has_them(self):
        journey = self._create_journey(
            [
                self._email_step(),
                {
                    "name": "Quotation email",
                    "action": "email",
                    "mail_template_id": self.template_intro.id,
                    "parent": 0,
                    "trigger": "event",
                    "event_name": "whatsapp_message",
                    "whatsapp_keywords": "price, 报价",
                },
            ]
        )
        journey.action_start()
        email = self._send_first_email(journey, self.lead)
        self._post(self._notification(messages=[self._text_message("8613812345678", "Thanks")]))
        self.assertFalse(self._traces(journey, parent_trace_id=email.id))
        self._post(
            self._notification(
                messages=[self._text_message("8613812345678", "报价多少?", message_id="wamid.IN2")]
            )
        )
        branch = self._traces(journey, parent_trace_id=email.id)
        self.assertEqual(branch.step_id.name, "Quotation email")

    def test_unknown_number_creates_a_lead_when_the_account_says_so(self):
        contacts = [{"wa_id": "447700900123", "profile": {"name": "Tom Baker"}}]
        message = self._text_message("447700900123", "Hi, do you ship to the UK?")
        self.account.create_lead_on_unknown = False
        self._post(self._notification(messages=[message], contacts=contacts))
        self.assertFalse(self.env["crm.lead"].search([("phone", "=", "+447700900123")]))
        self.account.create_lead_on_unknown = True
        self._post(self._notification(messages=[message], contacts=contacts))
        lead = self.env["crm.lead"].search([("phone", "=", "+447700900123")])
        self.assertEqual(lead.contact_name, "Tom Baker")
        self.assertEqual(lead.company_id, self.account.company_id)
        self.assertEqual(self._events(name="whatsapp_message").lead_id, lead)

    def test_another_companys_account_cannot_touch_this_companys_leads(self):
        other_company = self.env["res.company"].create({"name": "Other Company"})
        self.lead.company_id = self.env.company
        other = self.env["mail.journey.whatsapp.account"].create(
            {
                "name": "Other WhatsApp",
                "company_id": other_company.id,
                "phone_number_id": "5550001",
                "business_account_id": "5550002",
                "app_secret": "other-secret",
                "create_lead_on_unknown": False,
            }
        )
        journey = self._create_journey([self._whatsapp_step()])
        journey.action_start()
        trace = self._sent_trace(journey)
        payload = self._notification(
            statuses=[{"id": "wamid.TEST", "status": "failed"}],
            messages=[self._text_message("8613812345678", "price?")],
            phone_number_id="5550001",
        )
        response = self._post(payload, secret="other-secret", account=other)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(trace.state, "done", "another company's status changes nothing")
        self.assertFalse(self._events(name="whatsapp_message"))
        self.assertFalse(self.lead.whatsapp_last_inbound)
        # this account's secret does not sign for the other account either
        self.assertEqual(self._post(payload, account=other).status_code, 403)
