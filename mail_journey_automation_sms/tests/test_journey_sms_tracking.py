import re
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.mail_journey_automation.tests.common import BROWSER

from .common import SmsJourneyCommon

SMS_LINK = re.compile(r"https?://[^/\s]+(/r/\w+/j/\d+/\w+)")


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneySmsTracking(SmsJourneyCommon):
    """Links and delivery reports of journey SMS, over HTTP as a phone and
    the SMS provider call them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journey = cls._create_journey([cls._sms_step()])
        cls.sms_step = cls.journey.step_ids
        cls.clicked_step, cls.bounced_step = cls.env["mail.journey.step"].create(
            [
                cls._call_step(
                    name="Call the clicker",
                    journey_id=cls.journey.id,
                    parent_id=cls.sms_step.id,
                    trigger="clicked",
                ),
                cls._call_step(
                    name="Check the number",
                    journey_id=cls.journey.id,
                    parent_id=cls.sms_step.id,
                    trigger="bounced",
                ),
            ]
        )
        cls.journey.action_start()
        cls.lead = cls.leads[0]

    def _send(self):
        with self.mockSMSGateway():
            self.journey._enroll(self.lead)
            self._process()
            self._new_sms.send()
        trace = self._traces(self.journey, step_id=self.sms_step.id)
        # sent an hour ago: clicks are not "too fast to be human"
        trace.write(
            {"date_done": fields.Datetime.now() - timedelta(hours=1), "sent_datetime": False}
        )
        return trace, self._journey_sms(self.journey, self.lead)

    def _get(self, url, agent=BROWSER):
        return self.url_open(url, headers={"User-Agent": agent}, allow_redirects=False)

    def test_link_is_shortened_and_signed_for_the_trace(self):
        trace, sms = self._send()
        self.assertNotIn("https://www.example.com/offer", sms.body)
        path = SMS_LINK.search(sms.body).group(1)
        code = path.split("/")[2]
        self.assertEqual(path, f"/r/{code}/j/{trace.id}/{trace._get_sms_click_token(code)}")
        link = self.env["link.tracker.code"].search([("code", "=", code)]).link_id
        self.assertEqual(link.url, "https://www.example.com/offer")

    def test_click_records_event_and_schedules_clicked_branch(self):
        trace, sms = self._send()
        response = self._get(SMS_LINK.search(sms.body).group(1))
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers["Location"], "https://www.example.com/offer")
        self._count_engagement()
        self.assertEqual(trace.click_count, 1)
        click = trace.event_ids.filtered(lambda event: event.type == "click")
        self.assertEqual(click.url, "https://www.example.com/offer")
        self.assertFalse(click.is_machine)
        self.assertEqual(click.link_id.count, 1, "counted in link_tracker's statistics")
        child = self._traces(self.journey, step_id=self.clicked_step.id)
        self.assertEqual(child.state, "scheduled")
        self.assertEqual(child.parent_trace_id, trace)

    def test_click_tampered_token_redirects_but_records_nothing(self):
        trace, sms = self._send()
        path = SMS_LINK.search(sms.body).group(1)
        response = self._get(path[:-4] + ("0000" if not path.endswith("0000") else "1111"))
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers["Location"], "https://www.example.com/offer")
        self._count_engagement()
        self.assertEqual(trace.click_count, 0)
        self.assertFalse(self._traces(self.journey, step_id=self.clicked_step.id))

    def test_delivery_report_refused_number_fails_trace_and_bounces(self):
        trace, sms = self._send()
        self._post_delivery_report([{"sms_status": "invalid_destination", "uuids": [sms.uuid]}])
        self.assertEqual(trace.state, "error")
        self.assertEqual(
            trace.state_message, "The SMS could not be delivered: the number does not exist"
        )
        self.assertTrue(trace.bounce_datetime)
        self.assertEqual(
            self._traces(self.journey, step_id=self.bounced_step.id).state, "scheduled"
        )

    def test_delivery_report_delivered_records_sent(self):
        trace, sms = self._send()
        self.assertFalse(trace.sent_datetime)
        self._post_delivery_report([{"sms_status": "delivered", "uuids": [sms.uuid]}])
        self.assertTrue(trace.sent_datetime)
        self.assertEqual(trace.state, "done")
