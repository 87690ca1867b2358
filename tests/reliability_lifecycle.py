"""The module's lifecycle on a database of its own: installed where leads and
orders already exist, upgraded (-u) with a running journey, uninstalled."""

import json
import os
import shutil
import subprocess
from pathlib import Path

from .reliability_common import ReliabilityCase

MODULE = "mail_journey_automation"
FILESTORE = Path.home() / ".local/share/Odoo/filestore"

EXISTING_DATA = """
import json
partners = env["res.partner"].create(
    [{"name": f"Existing customer {i}", "email": f"existing{i}@customer.example.com"} for i in range(20)]
)
env["crm.lead"].create([
    {"name": f"Existing lead {i}", "partner_id": partner.id, "email_from": partner.email,
     "type": "opportunity"}
    for i, partner in enumerate(partners)
])
product = env["product.product"].create({"name": "Paper tube (existing)", "list_price": 2.5})
orders = env["sale.order"].create([
    {"partner_id": partner.id, "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 100})]}
    for partner in partners[:10]
])
orders[:5].action_confirm()
env.cr.commit()
print("RESULT " + json.dumps({"leads": env["crm.lead"].search_count([]),
                              "orders": env["sale.order"].search_count([])}))
"""

# a running two-step journey (an email now, another one a day later) on the
# existing leads, its first step executed: done and scheduled traces
RUNNING_JOURNEY = """
import json
template = env["mail.template"].create({
    "name": "Lifecycle", "model_id": env["ir.model"]._get_id("crm.lead"),
    "subject": "Hello", "body_html": "<p>Hello</p>", "use_default_to": True,
})
journey = env["mail.journey"].create({"name": "Lifecycle", "model": "crm.lead"})
first = env["mail.journey.step"].create(
    {"journey_id": journey.id, "name": "Now", "action": "email", "mail_template_id": template.id})
env["mail.journey.step"].create({
    "journey_id": journey.id, "name": "Tomorrow", "action": "email", "mail_template_id": template.id,
    "parent_id": first.id, "trigger": "parent", "interval_number": 1, "interval_unit": "days",
})
journey.action_start()
journey._enroll(env["crm.lead"].search([]))
env["mail.journey.engine"]._process_due(500)
env.cr.commit()
print("RESULT ok")
"""

SNAPSHOT = """
import json
print("RESULT " + json.dumps({
    "journeys": env["mail.journey"].search_read([], ["state"], order="id"),
    "enrollments": env["mail.journey.enrollment"].search_read([], ["state", "res_id"], order="id"),
    "traces": env["mail.journey.trace"].search_read([], ["state", "step_id", "schedule_date"], order="id"),
}, default=str))
"""

LEFTOVERS = """
import json
cr = env.cr
cr.execute("SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'mail_journey%%'")
tables = [row[0] for row in cr.fetchall()]
cr.execute(
    "SELECT table_name || '.' || column_name FROM information_schema.columns "
    "WHERE column_name LIKE '%%journey%%'"
)
columns = [row[0] for row in cr.fetchall()]
cr.execute("SELECT model, name FROM ir_model_data WHERE module = %s", [{module!r}])
xmlids = [list(row) for row in cr.fetchall()]
cr.execute("SELECT cron_name FROM ir_cron WHERE cron_name::text ILIKE '%%journey%%'")
crons = [str(row[0]) for row in cr.fetchall()]
cr.execute("SELECT model FROM ir_model WHERE model LIKE 'mail.journey%%'")
models = [row[0] for row in cr.fetchall()]
print("RESULT " + json.dumps({{
    "tables": tables, "columns": columns, "xmlids": xmlids, "crons": crons, "models": models,
    "leads": env["crm.lead"].search_count([]), "orders": env["sale.order"].search_count([]),
}}))
"""


class TestModuleLifecycle(ReliabilityCase):
    def setUp(self):
        super().setUp()
        self.lifecycle_db = f"{self.db}_lifecycle"
        template = os.environ["ODOO_TEMPLATE"]
        subprocess.run(["createdb", "-T", template, self.lifecycle_db], check=True)
        self.addCleanup(self._drop)
        if (FILESTORE / template).is_dir():
            shutil.copytree(FILESTORE / template, FILESTORE / self.lifecycle_db)

    def _drop(self):
        subprocess.run(["dropdb", "--if-exists", self.lifecycle_db], check=False)
        shutil.rmtree(FILESTORE / self.lifecycle_db, ignore_errors=True)

    def _odoo(self, *args):
        process = subprocess.run(
            self.odoo_command(*args, "--stop-after-init", "--no-http", db=self.lifecycle_db),
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        self.assertEqual(process.returncode, 0, process.stderr[-4000:])
        self.assertNotIn("ERROR", process.stderr, process.stderr[-4000:])

    def _shell(self, code):
        return json.loads(self.shell(code, db=self.lifecycle_db))

    def test_install_upgrade_uninstall(self):
        before = self._shell(EXISTING_DATA)

        self._odoo("-i", MODULE)
        self.shell(RUNNING_JOURNEY, db=self.lifecycle_db)
        running = self._shell(SNAPSHOT)
        leads = before["leads"]
        self.assertEqual(len(running["enrollments"]), leads, "the existing leads were enrolled")
        states = sorted(trace["state"] for trace in running["traces"])
        self.assertEqual(states, ["done"] * leads + ["scheduled"] * leads)

        self._odoo("-u", MODULE)
        self.assertEqual(
            self._shell(SNAPSHOT), running, "the upgrade kept every enrollment and trace"
        )

        self.shell(
            f'env["ir.module.module"].search([("name", "=", {MODULE!r})]).button_immediate_uninstall()\n'
            'env.cr.commit()\nprint("RESULT ok")',
            db=self.lifecycle_db,
        )
        left = self._shell(LEFTOVERS.format(module=MODULE))
        self.assertEqual(
            {key: left[key] for key in ("tables", "columns", "xmlids", "crons", "models")},
            {"tables": [], "columns": [], "xmlids": [], "crons": [], "models": []},
            "the uninstall left data behind",
        )
        self.assertEqual((left["leads"], left["orders"]), (before["leads"], before["orders"]))
