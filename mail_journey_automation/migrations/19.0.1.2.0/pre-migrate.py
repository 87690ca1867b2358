"""The ready-made journeys moved to the addon mail_journey_automation_playbooks.

Their records stay where they are: the journeys, their steps and their email
templates, and the lead's *Risk Profile* field of the wealth-products playbook
(its ir.model.fields and selection values), change owner from the core to
the playbooks addon, which is then loaded in the same upgrade. Nothing is
deleted and created again, so the ready-made journeys keep their ids, their
translations and any change made to them, and the leads keep their risk
profile (had the core kept the field's xmlid, the end of its upgrade would
have removed the field and dropped its column).

The playbooks addon is marked 'to upgrade' from the version these records
were written by, rather than 'to install': Odoo loads the data of a module
being installed in 'init' mode, which writes the XML values over existing
noupdate records, while an upgrade leaves them as they are. Auto-install
does not help here: Odoo only auto-installs a module when one of its
dependencies is being installed, not upgraded (ir.module.module.button_install).
"""

import logging

from odoo.tools import SQL

_logger = logging.getLogger(__name__)

PLAYBOOKS = "mail_journey_automation_playbooks"
# the version of the playbooks addon whose data these records are
PLAYBOOKS_VERSION = "19.0.1.0.0"

# (model, xmlid pattern) of the moved records, as the core 19.0.1.0.0 named them
MOVED = [
    ("mail.journey", "mail\\_journey\\_template\\_%"),
    ("mail.journey.step", "mail\\_journey\\_step\\_template\\_%"),
    ("mail.template", "mail\\_template\\_journey\\_%"),
    ("ir.model.fields", "field\\_crm\\_lead\\_\\_journey\\_risk\\_profile"),
    ("ir.model.fields.selection", "selection\\_\\_crm\\_lead\\_\\_journey\\_risk\\_profile\\_\\_%"),
]


def migrate(cr, version):
    for model, pattern in MOVED:
        cr.execute(
            SQL(
                """
                UPDATE ir_model_data
                   SET module = %(playbooks)s
                 WHERE module = 'mail_journey_automation'
                   AND model = %(model)s
                   AND name LIKE %(pattern)s
                """,
                playbooks=PLAYBOOKS,
                model=model,
                pattern=pattern,
            )
        )
        _logger.info("%s %s record(s) moved to %s", cr.rowcount, model, PLAYBOOKS)

    # the module list was updated before this script runs: the playbooks addon
    # has its row when it is on the addons path
    cr.execute(
        SQL(
            """
            UPDATE ir_module_module
               SET state = 'to upgrade', latest_version = %(version)s
             WHERE name = %(playbooks)s
               AND state IN ('uninstalled', 'to install')
            """,
            playbooks=PLAYBOOKS,
            version=PLAYBOOKS_VERSION,
        )
    )
    if cr.rowcount:
        _logger.info("%s is loaded with the moved ready-made journeys", PLAYBOOKS)
    else:
        _logger.warning(
            "%s is not on the addons path: the ready-made journeys stay, the leads' risk "
            "profile stays in the database but is shown again only once that addon is "
            "on the addons path and installed",
            PLAYBOOKS,
        )
