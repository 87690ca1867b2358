import json
from datetime import timedelta
from urllib.parse import quote

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from odoo import fields
from odoo.tests import HttpCase, tagged

from odoo.addons.mail_journey_automation.controllers import event as event_controller

from .common import BROWSER, JourneyCommon

TOKEN = "fuzz-token-0123456789"
# deterministic (same examples in every run), no example database on disk
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
# non-empty: an empty path segment never reaches these routes (Odoo's router
# redirects "//" to "/" first)
TOKENS = st.one_of(
    st.text(min_size=1, max_size=300),
    st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    st.just("x" * 5000),
)
TRACE_IDS = st.integers(min_value=0, max_value=2**63)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=80),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
EVENT_BODIES = st.one_of(
    st.binary(max_size=600),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries(
        {},
        optional={
            "event": st.text(max_size=70),
            "email": st.one_of(st.text(max_size=300), st.integers()),
            "phone": st.text(max_size=80),
            "data": JSON_VALUES,
        },
    ).map(lambda value: json.dumps(value).encode()),
)


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyFuzz(JourneyCommon, HttpCase):
    """Property tests of the public routes: whatever arrives, never a server
    error, never a write without a valid token, never a redirect elsewhere
    than the tracked link's own URL."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.journey_event_token = TOKEN
        cls.template_welcome.body_html = '<p><a href="https://www.example.com/p">Products</a></p>'
        cls.journey = cls._create_journey([cls._email_step()])
        cls.journey.action_start()
        cls.journey._enroll(cls.leads[0])
        cls.env["mail.journey.engine"]._process_due()
        cls.trace = cls.journey.enrollment_ids.trace_ids
        cls.trace.date_done = fields.Datetime.now() - timedelta(hours=1)
        cls.link = cls.env["link.tracker"].search([("url", "=", "https://www.example.com/p")])
        cls.code = cls.link.code

    def setUp(self):
        super().setUp()
        event_controller._recent_requests.clear()

    def _recorded(self):
        self._count_engagement()
        self.env.invalidate_all()
        return (
            self.trace.open_count,
            self.trace.click_count,
            self.trace.unsubscribe_datetime,
            self.env["mail.journey.event"].search_count([]),
            self.env["mail.blacklist"].search_count([]),
        )

    def _get(self, path, method="GET"):
        return self.url_open(
            path, headers={"User-Agent": BROWSER}, allow_redirects=False, method=method
        )

    @FUZZ
    @given(trace_id=st.one_of(TRACE_IDS, st.just(0)), token=TOKENS)
    @example(trace_id=0, token="%ff%fe")
    def test_open_route(self, trace_id, token):
        recorded = self._recorded()
        trace_id = trace_id or self.trace.id
        response = self._get(f"/mail_journey/o/{trace_id}/{quote(token, safe='%')}")
        self.assertIn(response.status_code, (200, 404))
        self.assertEqual(self._recorded(), recorded)

    @FUZZ
    @given(code=st.one_of(st.just(None), st.text(min_size=1, max_size=200)), token=TOKENS)
    @example(code=None, token="é" * 64)
    def test_click_route(self, code, token):
        recorded = self._recorded()
        code = self.code if code is None else code
        response = self._get(
            f"/mail_journey/c/{self.trace.id}/{quote(code, safe='')}/{quote(token, safe='')}"
        )
        self.assertIn(response.status_code, (302, 404))
        if response.status_code == 302:
            self.assertEqual(response.headers["Location"], self.link.redirected_url)
        self.assertEqual(self._recorded(), recorded)

    @FUZZ
    @given(token=TOKENS, method=st.sampled_from(["GET", "POST"]))
    def test_unsubscribe_route(self, token, method):
        recorded = self._recorded()
        response = self._get(f"/mail_journey/u/{self.trace.id}/{quote(token, safe='')}", method)
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self._recorded(), recorded)

    @FUZZ
    @given(
        body=EVENT_BODIES,
        authorization=st.sampled_from([None, f"Bearer {TOKEN}", "Bearer wrong", "Bearer é€"]),
        content_type=st.sampled_from(["application/json", "text/plain"]),
    )
    @example(
        body=b"{" + b'"x": 1, ' * 3000 + b"}",
        authorization=f"Bearer {TOKEN}",
        content_type="application/json",
    )
    def test_event_route(self, body, authorization, content_type):
        event_controller._recent_requests.clear()
        headers = {"Content-Type": content_type}
        if authorization:
            headers["Authorization"] = authorization.encode()
        response = self.url_open("/mail_journey/event", data=body, headers=headers, method="POST")
        self.assertLess(response.status_code, 500)
        if response.status_code >= 400:
            self.assertIn(response.status_code, (400, 401, 413, 415, 422, 429))
            self.assertTrue(response.json()["error"], "a 4xx says why")
