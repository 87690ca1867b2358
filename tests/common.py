"""What the black-box tests share: a JSON-RPC client for the running Odoo,
a browser-like HTTP session and the SMTP sink's folder.

The Odoo under test is given by the environment (scripts/blackbox.sh sets it):
ODOO_URL, ODOO_DB, SMTP_PORT and MAIL_DIR; admin / admin logs in.
"""

import email
import email.policy
import itertools
import os
import time
import unittest
from pathlib import Path

import requests

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


class OdooRpc:
    """The external API (JSON-RPC) of the Odoo under test, as admin."""

    def __init__(self, url, db, login="admin", password="admin"):
        self.url, self.db, self.password = url, db, password
        self.ids = itertools.count(1)
        self.uid = self.call("common", "login", db, login, password)
        if not self.uid:
            raise RuntimeError(f"cannot log in to {db} as {login}")

    def call(self, service, method, *args):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": next(self.ids),
            "params": {"service": service, "method": method, "args": args},
        }
        answer = requests.post(f"{self.url}/jsonrpc", json=payload, timeout=120).json()
        if answer.get("error"):
            error = answer["error"]
            raise RuntimeError(error.get("data", {}).get("message") or error.get("message"))
        return answer["result"]

    def __call__(self, model, method, *args, **kwargs):
        return self.call(
            "object", "execute_kw", self.db, self.uid, self.password, model, method, args, kwargs
        )

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        [data] = self(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            fields=["res_id"],
        )
        return data["res_id"]

    def run_cron(self, xmlid):
        self("ir.cron", "method_direct_trigger", [self.ref(xmlid)])


class BlackBoxCase(unittest.TestCase):
    """A test against the running Odoo of scripts/blackbox.sh."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        missing = [
            name
            for name in ("ODOO_URL", "ODOO_DB", "SMTP_PORT", "MAIL_DIR")
            if not os.environ.get(name)
        ]
        if missing:
            raise unittest.SkipTest(f"run through scripts/blackbox.sh ({', '.join(missing)} unset)")
        cls.url = os.environ["ODOO_URL"]
        cls.mail_dir = Path(os.environ["MAIL_DIR"])
        cls.smtp_port = int(os.environ["SMTP_PORT"])
        cls._wait_for_server()
        cls.rpc = OdooRpc(cls.url, os.environ["ODOO_DB"])

    @classmethod
    def _wait_for_server(cls, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            try:
                # the first request waits for the registry to load
                if requests.get(f"{cls.url}/web/health", timeout=timeout).ok:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"Odoo does not answer on {cls.url}")
            time.sleep(0.5)

    def browser(self):
        session = requests.Session()
        session.headers["User-Agent"] = BROWSER
        return session

    def wait_for_mail(self, recipient, timeout=20):
        """The first email the SMTP sink received for ``recipient``, parsed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for path in sorted(self.mail_dir.glob("*.eml")):
                message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                if recipient in str(message["To"]):
                    return message
            time.sleep(0.5)
        self.fail(f"no email for {recipient} reached the SMTP sink in {timeout} seconds")
