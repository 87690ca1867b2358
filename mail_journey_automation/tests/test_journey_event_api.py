import json

from odoo.tests import HttpCase, tagged

from odoo.addons.mail_journey_automation.controllers import event as event_controller

from .common import JourneyCommon

TOKEN = "test-token-0123456789"


class JourneyEventApiCommon(JourneyCommon, HttpCase):
    """The company's token, a lead with a phone, and a helper posting to the
    external events endpoint."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.journey_event_token = TOKEN
        cls.leads[0].phone = "+32 470 12 34 56"

    def setUp(self):
        super().setUp()
        # the per-process request window must not carry over between tests
        event_controller._recent_requests.clear()

    def _post(self, payload, token=TOKEN, content_type="application/json"):
        headers = {"Content-Type": content_type}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = payload if isinstance(payload, str | bytes) else json.dumps(payload)
        return self.url_open("/mail_journey/event", data=data, headers=headers)


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyEventApi(JourneyEventApiCommon):
    """The JSON endpoint through which chat and WhatsApp tools report events."""

    def test_event_recorded_on_lead_found_by_email(self):
        response = self._post(
            {
                "event": "whatsapp_inquiry",
                "email": self.leads[0].email_from.upper(),
                "data": {"product": "Paper tube 50 mm"},
            }
        )
        self.assertEqual(response.status_code, 201)
        body = response.json()
        self.assertEqual(body["lead_id"], self.leads[0].id)
        event = self.env["mail.journey.event"].browse(body["event_id"])
        self.assertEqual((event.type, event.name), ("external", "whatsapp_inquiry"))
        self.assertEqual(event.payload, {"product": "Paper tube 50 mm"})
        self.assertGreater(self.leads[0].journey_engagement_score, 0)

    def test_event_found_by_phone_enrolls_in_journey(self):
        journey = self._create_journey(
            [self._email_step()], trigger="external", external_event="whatsapp_inquiry"
        )
        journey.action_start()
        response = self._post({"event": "whatsapp_inquiry", "phone": "+32470123456"})
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.json()["enrolled_journey_ids"], [journey.id])
        self.assertEqual(journey.enrollment_ids.lead_id, self.leads[0])

    def test_event_satisfies_waiting_branch(self):
        journey = self._create_journey(
            [
                self._email_step(name="Catalogue"),
                {
                    "name": "Call about WhatsApp",
                    "action": "activity",
                    "parent": 0,
                    "trigger": "event",
                    "event_name": "whatsapp_inquiry",
                },
            ]
        )
        journey.action_start()
        self._send_first_email(journey)
        response = self._post({"event": "whatsapp_inquiry", "email": self.leads[0].email_from})
        self.assertEqual(response.json()["scheduled_steps"], 1)
        branch = self._traces(journey).filtered(lambda t: t.step_id.name == "Call about WhatsApp")
        self.assertEqual(branch.state, "scheduled")

    def test_refused_without_valid_token(self):
        for token in (None, "wrong-token"):
            response = self._post({"event": "x", "email": self.leads[0].email_from}, token=token)
            self.assertEqual(response.status_code, 401)
            self.assertIn("token", response.json()["error"])
        self.assertFalse(self.env["mail.journey.event"].search([("type", "=", "external")]))

    def test_bad_payloads_get_clear_4xx(self):
        email = self.leads[0].email_from
        cases = [
            ("{not json", 400, "Malformed JSON"),
            ("[1, 2]", 400, "JSON object"),
            ({"email": email}, 400, "'event' is required"),
            ({"event": "Bad Name!", "email": email}, 400, "'event' is required"),
            ({"event": "x"}, 400, "'email' or 'phone'"),
            ({"event": "x", "email": email, "admin": True}, 400, "Unknown fields: admin"),
            ({"event": "x", "email": ["a"]}, 400, "'email' must be a str"),
            ({"event": "x", "email": email, "description": "d" * 3000}, 400, "too long"),
            ({"event": "x", "email": "nobody@nowhere.example.com"}, 404, "No lead"),
        ]
        for payload, status, message in cases:
            with self.subTest(payload=payload):
                response = self._post(payload)
                self.assertEqual(response.status_code, status)
                self.assertIn(message, response.json()["error"])
        response = self._post({"event": "x", "email": email}, content_type="text/plain")
        self.assertEqual(response.status_code, 415)
        self.assertFalse(self.env["mail.journey.event"].search([("type", "=", "external")]))

    def test_oversized_body_refused(self):
        payload = {"event": "x", "email": self.leads[0].email_from, "data": {"blob": "x" * 20000}}
        response = self._post(payload)
        self.assertEqual(response.status_code, 413)

    def test_wrong_method_refused(self):
        response = self.url_open(
            "/mail_journey/event", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        self.assertEqual(response.status_code, 405)

    def test_rate_limited_per_token(self):
        self.env["ir.config_parameter"].sudo().set_param("mail_journey.event_rate_limit", 2)
        payload = {"event": "chat", "email": self.leads[0].email_from}
        statuses = [self._post(payload).status_code for _ in range(3)]
        self.assertEqual(statuses, [201, 201, 429])
        self.assertEqual(self._post(payload).headers["Retry-After"], "60")
