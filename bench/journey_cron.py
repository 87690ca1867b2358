"""Journey cron throughput: enroll N leads in a one-email journey and run the
executing cron's batches to completion (emails queued as mail.mail, no SMTP).

Prints, for each N, emails per second and SQL queries per email (Odoo's own
query counter), for the enrollment and the execution together.

Run through ``make bench`` (it prepares the database), or directly:
    python bench/journey_cron.py --db DB --addons-path PATH --sizes 1000,10000
"""

import argparse
import json
import time
from pathlib import Path

BATCH = 500


def run_size(registry, size):
    from odoo import SUPERUSER_ID, api, sql_db

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        template = env["mail.template"].create(
            {
                "name": f"Bench {size}",
                "model_id": env["ir.model"]._get_id("crm.lead"),
                "subject": "Hello {{ object.contact_name or 'there' }}",
                "body_html": "<p>Hello <t t-out=\"object.contact_name or 'there'\"/></p>",
                "use_default_to": True,
            }
        )
        journey = env["mail.journey"].create(
            {
                "name": f"Bench {size}",
                "model": "crm.lead",
                "step_ids": [
                    (0, 0, {"name": "Email", "action": "email", "mail_template_id": template.id})
                ],
            }
        )
        journey.action_start()
        partners = env["res.partner"].create(
            [{"name": f"Bench {i}", "email": f"bench{i}@example.com"} for i in range(size)]
        )
        # fixtures only: no tracking, no "assigned to you" notification per lead
        leads = (
            env["crm.lead"]
            .with_context(
                tracking_disable=True, mail_create_nolog=True, mail_auto_subscribe_no_notify=True
            )
            .create(
                [
                    {
                        "name": f"Bench lead {i}",
                        "contact_name": f"Contact {i}",
                        "partner_id": partner.id,
                        "email_from": partner.email,
                        "user_id": env.ref("base.user_admin").id,
                    }
                    for i, partner in enumerate(partners)
                ]
            )
        )
        cr.commit()
        env.invalidate_all()

        queries_before, started = sql_db.sql_counter, time.perf_counter()
        journey._enroll(leads)
        cr.commit()
        Trace = env["mail.journey.trace"]
        while Trace._process_due(BATCH):
            cr.commit()
            env.invalidate_all()
        elapsed = time.perf_counter() - started
        queries = sql_db.sql_counter - queries_before
        sent = env["mail.journey.trace"].search_count(
            [("journey_id", "=", journey.id), ("state", "=", "done"), ("message_id", "!=", False)]
        )
        return {
            "n": size,
            "emails": sent,
            "seconds": round(elapsed, 2),
            "emails_per_second": round(sent / elapsed, 1),
            "queries_per_email": round(queries / max(sent, 1), 2),
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--output", default="bench/results/journey_cron.json")
    args = parser.parse_args()

    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(
        [
            "-d",
            args.db,
            "--addons-path",
            args.addons_path,
            "--log-level=warn",
            "--http-interface=127.0.0.1",
        ]
    )
    registry = Registry(args.db)
    results = []
    for size in (int(size) for size in args.sizes.split(",")):
        print(f"N={size}: creating leads, enrolling and running the cron...", flush=True)
        result = run_size(registry, size)
        results.append(result)
        print(
            f"N={result['n']}: {result['emails']} emails in {result['seconds']}s, "
            f"{result['emails_per_second']} emails/s, "
            f"{result['queries_per_email']} queries/email",
            flush=True,
        )
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2))
    print(f"results written to {args.output}")


if __name__ == "__main__":
    main()
