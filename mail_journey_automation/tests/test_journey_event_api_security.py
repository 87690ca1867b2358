import http.client
import json
from contextlib import closing

from odoo.tests import tagged
from odoo.tests.common import HOST, TEST_CURSOR_COOKIE_NAME

from odoo.addons.mail_journey_automation.controllers.event import MAX_BODY_BYTES

from .test_journey_event_api import TOKEN, JourneyEventApiCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyEventApiSecurity(JourneyEventApiCommon):
    """What a caller of the external events endpoint cannot do: reach a lead
    with a blank identifier, act in another company, crash the parser or
    make it read an endless body."""

    def _external_events(self):
        return self.env["mail.journey.event"].search([("type", "=", "external")])

    def _waiting_branch_journey(self, company, event_name="chat"):
        """A running journey of ``company``: an email, then a step waiting
        for the external event ``event_name``."""
        journey = self._create_journey(
            [
                self._email_step(name="Catalogue"),
                {
                    "name": "Call after the chat",
                    "action": "activity",
                    "parent": 0,
                    "trigger": "event",
                    "event_name": event_name,
                },
            ],
            company_id=company.id,
        )
        journey.action_start()
        return journey

    # ------------------------------------------------------------
    # IDENTIFIERS
    # ------------------------------------------------------------

    def test_blank_or_invalid_identifier_refused(self):
        journey = self._create_journey(
            [self._email_step()], trigger="external", external_event="chat"
        )
        journey.action_start()
        lead_without_phone = self.leads[1]
        self.assertFalse(lead_without_phone.phone)
        cases = [
            ({"phone": "   "}, "'phone'"),
            ({"phone": "--- (.) ---"}, "'phone'"),
            ({"phone": "+"}, "'phone'"),
            ({"phone": "call me"}, "'phone'"),
            ({"phone": "12"}, "'phone'"),
            ({"email": "   "}, "'email'"),
            ({"email": ""}, "'email'"),
            ({"email": "not an address"}, "'email'"),
            ({"email": "   ", "phone": "   "}, "'email'"),
            ({"email": "  ", "phone": "+32470123456"}, "'email'"),
            ({"email": self.leads[0].email_from, "phone": " "}, "'phone'"),
        ]
        with self.mock_mail_gateway():
            for identifiers, field in cases:
                with self.subTest(identifiers=identifiers):
                    response = self._post({"event": "chat", **identifiers})
                    self.assertEqual(response.status_code, 400)
                    self.assertIn(field, response.json()["error"])
            self._process()
        self.assertFalse(self._external_events())
        self.assertFalse(journey.enrollment_ids)
        self.assertNotSentEmail()

    def test_phone_with_separators_accepted(self):
        response = self._post({"event": "chat", "phone": "+32 (470) 12-34.56"})
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.json()["lead_id"], self.leads[0].id)

    def test_blank_phone_matches_no_lead_in_model(self):
        """The model itself never takes a blank phone or an invalid email
        for "a lead without one" (other callers than the route)."""
        Event = self.env["mail.journey.event"]
        for identifiers in ({"phone": "   "}, {"email": " ", "phone": "-"}, {"email": "x"}):
            with self.subTest(identifiers=identifiers):
                event, enrollments, scheduled = Event._receive_external(
                    self.env.company, "chat", **identifiers
                )
                self.assertFalse(event)
                self.assertFalse(enrollments)
                self.assertFalse(scheduled)
        self.assertFalse(self._external_events())

    # ------------------------------------------------------------
    # COMPANIES
    # ------------------------------------------------------------

    def test_token_acts_only_in_its_company(self):
        company_a = self.env.company
        company_b = self.env["res.company"].create({"name": "Tubes B"})
        company_b.journey_event_token = "token-of-company-b-0123456789"
        shared_lead = self.env["crm.lead"].create(
            {
                "name": "Lead without company",
                "email_from": "shared@customer.example.com",
                "company_id": False,
            }
        )
        self.assertFalse(shared_lead.company_id)
        journey_a, journey_b = (
            self._create_journey(
                [self._email_step()],
                trigger="external",
                external_event="chat",
                company_id=company.id,
            )
            for company in (company_a, company_b)
        )
        (journey_a | journey_b).action_start()
        waiting_a = self._waiting_branch_journey(company_a)
        waiting_b = self._waiting_branch_journey(company_b)
        self._send_first_email(waiting_a | waiting_b, shared_lead)

        response = self._post({"event": "chat", "email": shared_lead.email_from}, token=TOKEN)

        self.assertEqual(response.status_code, 201)
        body = response.json()
        self.assertEqual(body["lead_id"], shared_lead.id)
        self.assertEqual(body["enrolled_journey_ids"], [journey_a.id])
        self.assertFalse(journey_b.enrollment_ids)
        self.assertEqual(body["scheduled_steps"], 1)
        branch = "Call after the chat"
        self.assertEqual(self._traces(waiting_a, state="scheduled").step_id.name, branch)
        self.assertFalse(self._traces(waiting_b).filtered(lambda t: t.step_id.name == branch))
        self.assertEqual(self._external_events().company_id, company_a)

    def test_lead_of_other_company_not_found(self):
        company_b = self.env["res.company"].create({"name": "Tubes B"})
        lead_b = self.env["crm.lead"].create(
            {
                "name": "Lead of B",
                "email_from": "b@customer.example.com",
                "company_id": company_b.id,
            }
        )
        response = self._post({"event": "chat", "email": lead_b.email_from})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self._external_events())

    def test_own_company_lead_preferred_to_lead_without_company(self):
        own_lead = self.leads[0]
        self.assertEqual(own_lead.company_id, self.env.company)
        shared_lead = self.env["crm.lead"].create(
            {
                "name": "Newer, without company",
                "email_from": own_lead.email_from,
                "company_id": False,
            }
        )
        self.assertFalse(shared_lead.company_id)
        response = self._post({"event": "chat", "email": own_lead.email_from})
        self.assertEqual(response.json()["lead_id"], own_lead.id)

    # ------------------------------------------------------------
    # BODY
    # ------------------------------------------------------------

    def test_deeply_nested_json_refused(self):
        email = self.leads[0].email_from

        def nested(depth):
            return '{"a": ' * depth + "1" + "}" * depth

        cases = [
            ("[" * 16000, 400, "nested too deeply"),
            ("[" * 100000, 413, "larger than"),
            ('{"event": "chat", "data": ' + nested(2000) + "}", 400, "nested too deeply"),
            (
                json.dumps({"event": "chat", "email": email, "data": json.loads(nested(11))}),
                400,
                "'data' is nested too deeply",
            ),
        ]
        for body, status, message in cases:
            with self.subTest(body=body[:40]):
                response = self._post(body)
                self.assertEqual(response.status_code, status)
                self.assertIn(message, response.json()["error"])
        self.assertFalse(self._external_events())
        response = self._post({"event": "chat", "email": email, "data": json.loads(nested(10))})
        self.assertEqual(response.status_code, 201)

    def _post_chunked(self, payload_size, finish=True):
        """Post to the endpoint over a raw connection a chunked body (no
        Content-Length): a JSON event whose data holds ``payload_size``
        bytes; without ``finish``, the closing chunk is never sent (a body
        without end). Return the status and the body of the answer, and the
        id of the lead posted for."""
        # read before the request starts: the server shares the test cursor
        body = json.dumps(
            {
                "event": "chat",
                "email": self.leads[0].email_from,
                "data": {"blob": "x" * payload_size},
            }
        ).encode()
        lead_id = self.leads[0].id
        connection = http.client.HTTPConnection(HOST, self.http_port(), timeout=20)
        with closing(connection), self.allow_requests():
            connection.putrequest("POST", "/mail_journey/event")
            connection.putheader("Cookie", f"{TEST_CURSOR_COOKIE_NAME}={self.http_request_key}")
            connection.putheader("Authorization", f"Bearer {TOKEN}")
            connection.putheader("Content-Type", "application/json")
            connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            for start in range(0, len(body), 1024):
                chunk = body[start : start + 1024]
                connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            if finish:
                connection.send(b"0\r\n\r\n")
            try:
                response = connection.getresponse()
            except TimeoutError:
                self.fail("The endpoint waited for the end of the chunked body.")
            return response.status, response.read(), lead_id

    def test_chunked_body_over_limit_refused_without_reading_it_all(self):
        status, body, _lead_id = self._post_chunked(MAX_BODY_BYTES + 4096, finish=False)
        self.assertEqual(status, 413)
        self.assertIn("larger than", json.loads(body)["error"])
        self.assertFalse(self._external_events())

    def test_chunked_body_within_limit_accepted(self):
        status, body, lead_id = self._post_chunked(1000)
        self.assertEqual(status, 201)
        self.assertEqual(json.loads(body)["lead_id"], lead_id)
