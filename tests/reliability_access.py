"""Access through HTTP and JSON-RPC: a portal user, a user of another
company and the public (no session) get nothing of the journeys, their
enrollments, traces and engagement events; a salesperson of another team
reads the journeys, not the data of a colleague's leads."""

import itertools

import requests

from .reliability_common import ReliabilityCase

PASSWORD = "reliability-Access-2026"
MODELS = ("mail.journey", "mail.journey.enrollment", "mail.journey.trace", "mail.journey.event")


class TestRemoteAccess(ReliabilityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rpc = cls.rpc
        rpc("ir.config_parameter", "set_param", "web.base.url", cls.url)
        cls.journey, cls.leads = cls.make_due_traces("access", 3)
        cls.shell(
            'env["mail.journey.engine"]._process_due(100); env.cr.commit(); print("RESULT ok")'
        )
        cls.ids = {
            model: rpc(model, "search", [("journey_id", "=", cls.journey)]) for model in MODELS[1:]
        }
        cls.ids["mail.journey"] = [cls.journey]
        # an event of each trace: the recipient opened the email
        traces = rpc(
            "mail.journey.trace", "search_read", [("journey_id", "=", cls.journey)], fields=["id"]
        )
        cls.shell(
            f'env["mail.journey.trace"].browse({[t["id"] for t in traces]!r})._log_events("open");'
            ' env.cr.commit(); print("RESULT ok")'
        )
        cls.ids["mail.journey.event"] = rpc(
            "mail.journey.event", "search", [("journey_id", "=", cls.journey)]
        )
        # the leads are the administrator's
        rpc("crm.lead", "write", cls.leads, {"user_id": rpc.uid})
        other_company = rpc("res.company", "create", {"name": "Other Co (reliability)"})
        cls.users = {
            "portal": rpc(
                "res.users",
                "create",
                {
                    "name": "Pat Portal",
                    "login": "pat.portal@reliability.example.com",
                    "password": PASSWORD,
                    "group_ids": [(6, 0, [rpc.ref("base.group_portal")])],
                },
            ),
            "other company": rpc(
                "res.users",
                "create",
                {
                    "name": "Olga Other",
                    "login": "olga.other@reliability.example.com",
                    "password": PASSWORD,
                    "company_id": other_company,
                    "company_ids": [(6, 0, [other_company])],
                    "group_ids": [
                        (
                            6,
                            0,
                            [
                                rpc.ref("base.group_user"),
                                rpc.ref("mail_journey_automation.group_journey_manager"),
                            ],
                        )
                    ],
                },
            ),
            "other team": rpc(
                "res.users",
                "create",
                {
                    "name": "Sam Sales",
                    "login": "sam.sales@reliability.example.com",
                    "password": PASSWORD,
                    "group_ids": [(6, 0, [rpc.ref("sales_team.group_sale_salesman")])],
                },
            ),
        }
        rpc(
            "crm.team",
            "create",
            {"name": "Other team (reliability)", "member_ids": [(6, 0, [cls.users["other team"]])]},
        )

    def _call(self, login, model, method, *args, **kwargs):
        """execute_kw as ``login``: (result, error) of the JSON-RPC answer."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [self.db, self._uid(login), PASSWORD, model, method, args, kwargs],
            },
        }
        answer = requests.post(f"{self.url}/jsonrpc", json=payload, timeout=60).json()
        return answer.get("result"), answer.get("error")

    _uids = {}

    def _uid(self, login):
        if login not in self._uids:
            payload = {
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": {
                    "service": "common",
                    "method": "login",
                    "args": [self.db, login, PASSWORD],
                },
            }
            self._uids[login] = requests.post(
                f"{self.url}/jsonrpc", json=payload, timeout=60
            ).json()["result"]
        return self._uids[login]

    def assertAccessError(self, answer, what):
        result, error = answer
        self.assertIsNone(result, f"{what} returned data")
        self.assertEqual(error["data"]["name"], "odoo.exceptions.AccessError", f"{what}: {error}")

    def test_fixtures_exist(self):
        for model in MODELS:
            self.assertTrue(self.ids[model], f"no {model} to protect")

    def test_portal_and_other_company_cannot_read_or_write(self):
        logins = ["pat.portal@reliability.example.com", "olga.other@reliability.example.com"]
        for login, model in itertools.product(logins, MODELS):
            with self.subTest(login=login, model=model):
                ids = self.ids[model]
                self.assertTrue(self._uid(login), f"{login} cannot log in")
                self.assertAccessError(self._call(login, model, "read", ids, ["id"]), "read")
                self.assertAccessError(
                    self._call(login, model, "write", ids, {"display_name": "x"}), "write"
                )
                self.assertAccessError(self._call(login, model, "unlink", ids), "unlink")
                result, error = self._call(login, model, "search", [("id", "in", ids)])
                self.assertFalse(result, f"search revealed {result}")

    def test_salesperson_of_another_team_reads_only_the_journey(self):
        login = "sam.sales@reliability.example.com"
        result, error = self._call(login, "mail.journey", "read", [self.journey], ["name"])
        self.assertIsNone(error)
        self.assertEqual(result[0]["name"], "Reliability access")
        self.assertAccessError(
            self._call(login, "mail.journey", "write", [self.journey], {"name": "x"}), "write"
        )
        for model in MODELS[1:]:
            with self.subTest(model=model):
                ids = self.ids[model]
                self.assertAccessError(self._call(login, model, "read", ids, ["id"]), "read")
                self.assertAccessError(
                    self._call(login, model, "write", ids, {"display_name": "x"}), "write"
                )
                self.assertAccessError(self._call(login, model, "unlink", ids), "unlink")
                result, error = self._call(login, model, "search", [("id", "in", ids)])
                self.assertEqual((result, error), ([], None), "search revealed nothing")

    def test_public_gets_nothing_from_call_kw(self):
        for model in MODELS:
            with self.subTest(model=model):
                answer = requests.post(
                    f"{self.url}/web/dataset/call_kw/{model}/search_read",
                    json={
                        "jsonrpc": "2.0",
                        "method": "call",
                        "id": 1,
                        "params": {
                            "model": model,
                            "method": "search_read",
                            "args": [[]],
                            "kwargs": {"fields": ["id"]},
                        },
                    },
                    timeout=60,
                ).json()
                self.assertNotIn("result", answer)
                self.assertEqual(
                    answer["error"]["data"]["name"], "odoo.http.SessionExpiredException"
                )

    def test_invalid_token_reveals_nothing(self):
        """A trace id with a wrong token: the same pixel as any other, and an
        unsubscribe page that names no one."""
        [trace] = self.rpc(
            "mail.journey.trace",
            "search_read",
            [("journey_id", "=", self.journey)],
            fields=["email"],
            limit=1,
        )
        browser = self.browser()
        pixel = browser.get(f"{self.url}/mail_journey/o/{trace['id']}/{'0' * 64}", timeout=60)
        other = browser.get(f"{self.url}/mail_journey/o/999999999/{'0' * 64}", timeout=60)
        self.assertEqual((pixel.status_code, pixel.content), (other.status_code, other.content))
        page = browser.get(f"{self.url}/mail_journey/u/{trace['id']}/{'0' * 64}", timeout=60)
        self.assertEqual(page.status_code, 404)
        self.assertNotIn(trace["email"], page.text)
