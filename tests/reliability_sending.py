"""Journey senders side by side: several Odoo processes send one journey's
emails to an SMTP server, one of them killed while it sends; each customer
gets the email, none twice (but the one email in flight at the kill)."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from pathlib import Path

from .reliability_common import ReliabilityCase

ROOT = Path(__file__).resolve().parent.parent

# an Odoo shell script: the journey emails outgoing now go to the SMTP sink on
# PORT only (the other outgoing emails are cancelled); prints the server's id
SINK_SERVER = """
env["mail.mail"].search([("state", "=", "outgoing")]).state = "cancel"
env["ir.mail_server"].search([]).active = False
server = env["ir.mail_server"].create({{
    "name": "Reliability sink", "smtp_host": "127.0.0.1", "smtp_port": {port},
    "smtp_encryption": "none", "sequence": 1,
}})
env.cr.commit()
print("RESULT", server.id)
"""

# an Odoo shell script: a journey sender as a sender cron runs it, chunk after
# chunk, until no journey email is outgoing; prints the emails it locked
SENDER = """
import time
Mail = env["mail.mail"]
locked = 0
while True:
    sent, _remaining = Mail._journey_send_chunk(20)
    env.cr.commit()
    env.invalidate_all()
    locked += sent
    if sent:
        continue
    if not Mail.search_count([("state", "=", "outgoing"), ("journey_trace_ids", "!=", False)]):
        break
    time.sleep(0.1)
print("RESULT", locked, flush=True)
"""


class TestConcurrentSending(ReliabilityCase):
    SIZE = 1500

    def setUp(self):
        super().setUp()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.folder = tempfile.mkdtemp(prefix="reliability-sink-")
        sink = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "scripts" / "smtp_sink.py"),
                "--port",
                str(port),
                "--folder",
                self.folder,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.addCleanup(sink.wait)
        self.addCleanup(sink.terminate)
        server = int(self.shell(SINK_SERVER.format(port=port)))
        self.addCleanup(self.rpc, "ir.mail_server", "write", [server], {"active": False})

    def accepted(self):
        parser = BytesHeaderParser()
        recipients = Counter()
        for entry in os.scandir(self.folder):
            with open(entry.path, "rb") as message:
                recipients[parseaddr(parser.parse(message)["To"])[1].lower()] += 1
        return recipients

    def test_senders_send_each_email_once_one_killed(self):
        """Three senders on 1,500 journey emails; one is killed (SIGKILL) in
        the middle: PostgreSQL drops its locks with its connection and the
        others send its emails. Every address gets the email; at most the
        one email the killed sender had in flight goes twice."""
        journey, leads = self.make_due_traces("sending", self.SIZE)
        deadline = time.monotonic() + 600
        while self.trace_states(journey).get("scheduled") and time.monotonic() < deadline:
            time.sleep(2)  # the server's cron workers execute the journey
        self.assertEqual(self.trace_states(journey), Counter(done=self.SIZE))

        senders = [self.start_shell(SENDER) for _ in range(3)]
        while sum(self.accepted().values()) < 300:
            self.assertLess(time.monotonic(), deadline, "the senders make no progress")
            self.assertIsNone(senders[0].poll(), "the sender ended before it was killed")
            time.sleep(0.1)
        os.kill(senders[0].pid, signal.SIGKILL)
        senders[0].communicate()
        locked = []
        for sender in senders[1:]:
            out, err = sender.communicate(timeout=900)
            self.assertEqual(sender.returncode, 0, err[-3000:])
            locked.append(int(out.split("RESULT")[-1]))
        self.assertTrue(all(locked), f"the senders sent side by side: {locked}")

        while sum(self.accepted().values()) < self.SIZE and time.monotonic() < deadline:
            time.sleep(0.5)
        recipients = self.accepted()
        expected = {f"sending.{index}@customer.example.com" for index in range(self.SIZE)}
        self.assertEqual(set(recipients), expected, "every customer got the email")
        twice = {address: count for address, count in recipients.items() if count > 1}
        self.assertLessEqual(len(twice), 1, f"only the email in flight may go twice: {twice}")
        self.assertLessEqual(max(recipients.values()), 2)
        mails = self.rpc(
            "mail.mail",
            "search_read",
            [("model", "=", "crm.lead"), ("res_id", "in", leads)],
            fields=["state"],
        )
        self.assertEqual(Counter(mail["state"] for mail in mails), Counter(sent=self.SIZE))
