"""What the reliability tests share: Odoo shells on the database under test
(for fixtures too big for RPC and for running the executing cron in
processes of our own), and counts of what the journeys produced.

Run through scripts/reliability.sh (`make test-reliability`), which starts
Odoo with --workers=2 --max-cron-threads=2 and sets, on top of the variables
of tests/common.py: ODOO_PYTHON, ODOO_SRC, ADDONS_PATH and ODOO_TEMPLATE.
"""

import json
import os
import subprocess
import tempfile
import time
import unittest
from collections import Counter

from .common import BlackBoxCase

EXECUTE_CRONS = (
    "mail_journey_automation.ir_cron_mail_journey_execute",
    "mail_journey_automation.ir_cron_mail_journey_execute_2",
)
MAIL_CRON = "mail.ir_cron_mail_scheduler_action"
SENDER_CRONS = (
    "mail_journey_automation.ir_cron_mail_journey_send",
    "mail_journey_automation.ir_cron_mail_journey_send_2",
)

# an Odoo shell script: N leads enrolled in a new running one-email journey,
# all due now; prints the journey and the leads as JSON
FIXTURE = """
import json
tag, size = {tag!r}, {size!r}
template = env["mail.template"].create({{
    "name": f"Reliability {{tag}}",
    "model_id": env["ir.model"]._get_id("crm.lead"),
    "subject": f"Reliability {{tag}} for {{{{ object.contact_name }}}}",
    "body_html": '<p>Hello <t t-out="object.contact_name"/>, '
                 '<a href="https://www.example.com/tubes">our tubes</a></p>',
    "email_from": "sales@yourcompany.example.com",
    "use_default_to": True,
}})
journey = env["mail.journey"].create({{
    "name": f"Reliability {{tag}}",
    "model": "crm.lead",
    "step_ids": [(0, 0, {{"name": "Email", "action": "email", "mail_template_id": template.id}})],
}})
journey.action_start()
# fixtures only: no tracking, no "assigned to you" notification per lead
leads = env["crm.lead"].with_context(
    tracking_disable=True, mail_create_nolog=True, mail_auto_subscribe_no_notify=True
).create([
    {{"name": f"{{tag}} lead {{i}}", "contact_name": f"{{tag}} contact {{i}}",
      "email_from": f"{{tag}}.{{i}}@customer.example.com", "type": "opportunity"}}
    for i in range(size)
])
journey._enroll(leads)
env.cr.commit()
print("RESULT " + json.dumps({{"journey": journey.id, "leads": leads.ids}}))
"""

# an Odoo shell script: the executing cron's method, counting the traces this
# process executed (each batch: lock due traces with FOR UPDATE SKIP LOCKED,
# execute them, commit)
EXECUTE = """
Engine = env["mail.journey.engine"]
done = 0
execute = type(Engine)._execute
def counting(self, traces):
    global done
    result = execute(self, traces)
    done += len(traces)  # the batch this process locked and ran
    return result
type(Engine)._execute = counting
Engine._cron_execute()
print("RESULT", done, flush=True)
"""


class ReliabilityCase(BlackBoxCase):
    """A reliability test against the multi-process Odoo of scripts/reliability.sh."""

    @classmethod
    def setUpClass(cls):
        missing = [
            name
            for name in ("ODOO_PYTHON", "ODOO_SRC", "ADDONS_PATH", "ODOO_TEMPLATE")
            if not os.environ.get(name)
        ]
        if missing:
            raise unittest.SkipTest(
                f"run through scripts/reliability.sh ({', '.join(missing)} unset)"
            )
        super().setUpClass()
        cls.db = os.environ["ODOO_DB"]
        # the tests count the queued mail.mail: the mail queue and the
        # journey senders need not send them. They stay off for the whole
        # suite (the database is thrown away after it): switched on again
        # between test classes, they would start sending the emails queued so
        # far and hold their rows for minutes.
        cls.set_crons_active((MAIL_CRON, *SENDER_CRONS), False)

    @classmethod
    def set_crons_active(cls, xmlids, active, timeout=600):
        """Switch crons on or off. Odoo refuses to write a cron while one of
        its runs holds the row, so wait for that run to end."""
        for xmlid in xmlids:
            cls._set_cron_active(xmlid, active, timeout)

    @classmethod
    def _set_cron_active(cls, xmlid, active, timeout):
        cron = cls.rpc.ref(xmlid)
        deadline = time.monotonic() + timeout
        while cls.rpc("ir.cron", "read", [cron], ["active"])[0]["active"] != active:
            try:
                cls.rpc("ir.cron", "write", [cron], {"active": active})
            except RuntimeError as error:
                if "currently being executed" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(1)

    @classmethod
    def odoo_command(cls, *args, db=None):
        return [
            os.environ["ODOO_PYTHON"],
            os.path.join(os.environ["ODOO_SRC"], "odoo-bin"),
            *args,
            f"--addons-path={os.environ['ADDONS_PATH']}",
            "-d",
            db or cls.db,
            "--log-level=warn",
        ]

    @classmethod
    def start_shell(cls, code, db=None):
        """An Odoo shell process running ``code`` (not waited for)."""
        with tempfile.TemporaryFile("w+") as script:
            script.write(code)
            script.seek(0)
            return subprocess.Popen(
                cls.odoo_command("shell", "--no-http", "--max-cron-threads=0", db=db),
                stdin=script,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )

    @classmethod
    def shell(cls, code, db=None, timeout=900):
        """Run ``code`` in an Odoo shell; return what it printed after RESULT."""
        process = cls.start_shell(code, db=db)
        out, err = process.communicate(timeout=timeout)
        results = [
            line[len("RESULT ") :] for line in out.splitlines() if line.startswith("RESULT ")
        ]
        if process.returncode or not results:
            raise RuntimeError(
                f"Odoo shell failed ({process.returncode}):\n{out[-2000:]}\n{err[-4000:]}"
            )
        return results[-1]

    @classmethod
    def make_due_traces(cls, tag, size):
        """``size`` leads enrolled in a new running one-email journey, their
        traces due now; returns (journey id, lead ids)."""
        result = json.loads(cls.shell(FIXTURE.format(tag=tag, size=size)))
        return result["journey"], result["leads"]

    def execute_in_shell(self, batch=100):
        """An Odoo process running the executing cron's method, ``batch``
        traces per transaction."""
        self.rpc("ir.config_parameter", "set_param", "mail_journey.batch_size", str(batch))
        return self.start_shell(EXECUTE)

    def trace_states(self, journey):
        traces = self.rpc(
            "mail.journey.trace", "search_read", [("journey_id", "=", journey)], fields=["state"]
        )
        return Counter(trace["state"] for trace in traces)

    def assert_executed_once(self, journey, lead_ids, tag):
        """Every lead got exactly one queued email and one chatter message
        of the journey, and every trace is done."""
        self.assertEqual(self.trace_states(journey), Counter(done=len(lead_ids)))
        mails = self.rpc(
            "mail.mail",
            "search_read",
            [("model", "=", "crm.lead"), ("res_id", "in", lead_ids)],
            fields=["res_id"],
        )
        per_lead = Counter(mail["res_id"] for mail in mails)
        self.assertEqual(set(per_lead), set(lead_ids), "every lead got its email")
        self.assertEqual(
            {lead: count for lead, count in per_lead.items() if count > 1},
            {},
            "no lead got the email twice",
        )
        messages = self.rpc(
            "mail.message",
            "search_read",
            [
                ("model", "=", "crm.lead"),
                ("res_id", "in", lead_ids),
                ("subject", "=like", f"Reliability {tag} for %"),
            ],
            fields=["res_id"],
        )
        per_lead = Counter(message["res_id"] for message in messages)
        self.assertEqual(set(per_lead), set(lead_ids), "every lead has the email in its chatter")
        self.assertEqual(max(per_lead.values()), 1, "no chatter message is doubled")
        traces = self.rpc(
            "mail.journey.trace",
            "search_read",
            [("journey_id", "=", journey)],
            fields=["mail_mail_id"],
        )
        linked = Counter(trace["mail_mail_id"][0] for trace in traces if trace["mail_mail_id"])
        self.assertEqual(len(linked), len(lead_ids), "every trace points to its own email")
