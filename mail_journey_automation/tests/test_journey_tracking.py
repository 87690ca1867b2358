import re
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import BROWSER, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyTracking(JourneyCommon, HttpCase):
    """The public tracking routes, called over HTTP as a mail client would."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template_welcome.body_html = (
            '<p>Hello, see <a href="https://www.example.com/products">our products</a> '
            'and <a href="https://www.example.com/about">who we are</a>.</p>'
        )
        cls.journey = cls._create_journey([cls._email_step()])
        cls.journey.action_start()
        cls.journey._enroll(cls.leads[0])
        # emails are only queued: nothing reaches an SMTP server
        cls.env["mail.journey.engine"]._process_due()
        cls.trace = cls.journey.enrollment_ids.trace_ids
        # sent an hour ago: clicks are not "too fast to be human"
        cls.trace.date_done = fields.Datetime.now() - timedelta(hours=1)
        cls.body = cls.trace.mail_mail_id.body_html

    def _url(self, kind):
        pattern = {
            "open": r'src="([^"]*/mail_journey/o/[^"]+)"',
            "click": r'href="([^"]*/mail_journey/c/[^"]+)"',
            "honeypot": r'href="([^"]*/mail_journey/h/[^"]+)"',
            "unsubscribe": r'href="([^"]*/mail_journey/u/[^"]+)"',
        }[kind]
        url = re.findall(pattern, self.body)[0]
        return url.replace(self.trace.journey_id.get_base_url(), "")

    def _get(self, url, agent=BROWSER, **kwargs):
        return self.url_open(url, headers={"User-Agent": agent}, allow_redirects=False, **kwargs)

    def test_email_carries_tracking_and_unsubscribe(self):
        self.assertEqual(len(re.findall(r"/mail_journey/c/", self.body)), 2)
        self.assertNotIn('href="https://www.example.com/products"', self.body)
        self.assertIn("Unsubscribe", self.body)
        headers = self.trace.mail_mail_id.headers
        self.assertIn("List-Unsubscribe-Post", headers)
        self.assertIn(f"/mail_journey/u/{self.trace.id}/", headers)
        chatter_body = self.trace.mail_message_id.body
        self.assertIn(
            "https://www.example.com/products", chatter_body, "chatter shows the real links"
        )

    def test_unsubscribe_header_is_not_encoded(self):
        url = f"<{self.trace._get_unsubscribe_url()}>"
        message = self.env["ir.mail_server"]._build_email__(
            "sally@example.com",
            ["contact0@example.com"],
            "Welcome",
            "<p>Hi</p>",
            subtype="html",
            headers={"List-Unsubscribe": url},
        )
        self.assertGreater(len(url), 78)
        self.assertIn(f"List-Unsubscribe: {url}", message.as_string())

    def test_open_records_first_and_last(self):
        response = self._get(self._url("open"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "image/gif")
        self._get(self._url("open"))
        self._count_engagement()
        self.assertEqual(self.trace.open_count, 2)
        self.assertTrue(self.trace.open_datetime)
        self.assertGreaterEqual(self.trace.last_open_datetime, self.trace.open_datetime)
        self.assertEqual(self.leads[0].journey_open_count, 2)

    def test_open_tampered_token_records_nothing(self):
        url = self._url("open")
        response = self._get(url[:-4] + "0000")
        self.assertEqual(response.headers["Content-Type"], "image/gif")
        response = self._get(f"/mail_journey/o/{self.trace.id + 1000}/{url.rsplit('/', 1)[1]}")
        self.assertEqual(response.status_code, 200)
        response = self._get(f"/mail_journey/o/{self.trace.id}/{'a' * 5000}")
        self.assertEqual(response.status_code, 200)
        self._count_engagement()
        self.assertEqual(self.trace.open_count, 0)
        self.assertFalse(self.trace.event_ids)

    def test_open_expired_token_records_nothing(self):
        self.env["ir.config_parameter"].sudo().set_param("mail_journey.tracking_days", 0)
        self._get(self._url("open"))
        self._count_engagement()
        self.assertEqual(self.trace.open_count, 0)

    def test_open_by_privacy_proxy_is_machine(self):
        self._get(self._url("open"), agent="Mozilla/5.0 (compatible; Barracuda Networks scanner)")
        self._count_engagement()
        self.assertEqual(self.trace.open_count, 0)
        self.assertTrue(self.trace.event_ids.is_machine)
        self.assertEqual(self._count_engagement(), 0, "nothing to count")
        self.assertEqual(self.leads[0].journey_engagement_score, 0)

    def test_click_redirects_to_tracker_url_and_records(self):
        response = self._get(self._url("click") + "?url=https://evil.example.org/")
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers["Location"], "https://www.example.com/products")
        self._count_engagement()
        self.assertEqual(self.trace.click_count, 1)
        self.assertEqual(self.trace.open_count, 1, "a click proves an open")
        event = self.trace.event_ids.filtered(lambda event: event.type == "click")
        self.assertEqual(event.url, "https://www.example.com/products")
        self.assertFalse(event.is_machine)
        self._count_engagement()
        self.assertTrue(self.leads[0].journey_last_click_date)

    def test_click_tampered_token_still_redirects_but_records_nothing(self):
        url = self._url("click")
        response = self._get(url[:-4] + "ffff")
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers["Location"], "https://www.example.com/products")
        self._count_engagement()
        self.assertEqual(self.trace.click_count, 0)

    def test_click_unknown_code_is_not_found(self):
        token = self._url("click").rsplit("/", 1)[1]
        response = self._get(f"/mail_journey/c/{self.trace.id}/nosuchcode/{token}")
        self.assertEqual(response.status_code, 404)

    def test_click_right_after_sending_is_machine(self):
        self.trace.date_done = fields.Datetime.now()
        self._get(self._url("click"))
        self._count_engagement()
        self.assertEqual(self.trace.click_count, 0)
        self.assertIn("seconds after sending", self.trace.event_ids.machine_reason)

    def test_click_by_scanner_user_agent_is_machine(self):
        self._get(self._url("click"), agent="python-requests/2.31")
        self._count_engagement()
        self.assertEqual(self.trace.click_count, 0)
        self.assertTrue(self.trace.event_ids.is_machine)

    def test_honeypot_click_is_machine(self):
        self._get(self._url("honeypot"))
        self.assertEqual(
            self.trace.event_ids.machine_reason, "clicked the hidden link no person can see"
        )
        self._count_engagement()
        self.assertEqual(self.trace.click_count, 0)

    def test_wrong_method_refused(self):
        response = self.url_open(self._url("open"), data={"x": 1})
        self.assertEqual(response.status_code, 405)
        self._count_engagement()
        self.assertEqual(self.trace.open_count, 0)

    def test_unsubscribe_get_asks_confirmation(self):
        response = self._get(self._url("unsubscribe"))
        self.assertEqual(response.status_code, 200)
        self.assertIn("Unsubscribe from these emails?", response.text)
        self.assertFalse(
            self.env["mail.blacklist"].search([("email", "=", self.leads[0].email_normalized)])
        )

    def test_unsubscribe_one_click_post(self):
        other_journey = self._create_journey([self._email_step(interval_number=2)])
        other_journey.action_start()
        other_journey._enroll(self.leads[0])
        response = self.url_open(
            self._url("unsubscribe"),
            data={"List-Unsubscribe": "One-Click"},
            headers={"User-Agent": BROWSER},
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(
            self.env["mail.blacklist"].search([("email", "=", self.leads[0].email_normalized)])
        )
        self.assertEqual(other_journey.enrollment_ids.state, "exited")
        self.assertEqual(
            self.trace.event_ids.filtered(lambda e: e.type == "unsubscribe").lead_id, self.leads[0]
        )
        self.assertTrue(self.trace.unsubscribe_datetime)

    def test_unsubscribe_replayed_is_idempotent(self):
        for _attempt in range(2):
            response = self.url_open(
                self._url("unsubscribe"), data={"List-Unsubscribe": "One-Click"}
            )
            self.assertEqual(response.status_code, 200)
        events = self.trace.event_ids.filtered(lambda event: event.type == "unsubscribe")
        self.assertEqual(len(events), 1)
        self.assertEqual(
            self.env["mail.blacklist"].search_count(
                [("email", "=", self.leads[0].email_normalized)]
            ),
            1,
        )

    def test_unsubscribe_blacklists_the_address_the_email_went_to(self):
        """The lead's address changed after the email left (a typo fixed, or
        someone else's address typed in): the recipient's click blacklists
        the address the email went to, never the lead's new one."""
        sent_to = self.leads[0].email_normalized
        self.leads[0].email_from = "someone.else@other-customer.example.com"
        response = self.url_open(
            self._url("unsubscribe"),
            data={"List-Unsubscribe": "One-Click"},
            headers={"User-Agent": BROWSER},
        )
        self.assertEqual(response.status_code, 200)
        Blacklist = self.env["mail.blacklist"]
        self.assertTrue(Blacklist.search([("email", "=", sent_to)]))
        self.assertFalse(
            Blacklist.search([("email", "=", "someone.else@other-customer.example.com")])
        )
        self.assertTrue(self.trace.unsubscribe_datetime)

    def test_unsubscribe_without_recorded_address_blacklists_nothing(self):
        self.trace.email = False
        with self.assertLogs(
            "odoo.addons.mail_journey_automation.models.mail_journey_trace", "WARNING"
        ) as logs:
            response = self.url_open(
                self._url("unsubscribe"), data={"List-Unsubscribe": "One-Click"}
            )
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"trace {self.trace.id}", logs.output[0])
        self.assertFalse(
            self.env["mail.blacklist"].search([("email", "=", self.leads[0].email_normalized)])
        )
        self.assertTrue(self.trace.unsubscribe_datetime)

    def test_unsubscribe_tampered_token(self):
        response = self.url_open(self._url("unsubscribe")[:-4] + "0000", data={"a": "b"})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(
            self.env["mail.blacklist"].search([("email", "=", self.leads[0].email_normalized)])
        )
