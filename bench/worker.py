"""One step of the benchmark, in a fresh Odoo process (so that its peak
memory is its own): build the leads of one size, or queue one email per lead
through one path.

Paths, for the same leads and the same email body:

- ``addon``: one running journey with one immediate email step, every lead
  enrolled, the executing cron run until no trace is due;
- ``mass_mailing``: one Odoo mailing to the same leads, its queue cron run
  until every mail.mail is queued;
- ``sql``: the floor, the same number of mail.message + mail.mail rows
  written with COPY, no ORM.

Run by ``bench/run.py``; it prints progress lines and, last, one line
``RESULT {json}``.
"""

import argparse
import cProfile
import io
import json
import os
import re
import resource
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections import defaultdict
from email.parser import BytesHeaderParser

from odoo.tools import SQL

ORM_LEADS = 1000
SQL_LEADS = 10000
SUBJECT = "Hello {{ object.contact_name }}"
BODY = (
    '<p>Hello <t t-out="object.contact_name"/>,</p>'
    '<p>Our spring offer is out: <a href="https://www.example.com/offer">see the offer</a>.</p>'
    '<p><a href="/unsubscribe_from_list">Unsubscribe</a></p>'
)


def say(message):
    print(message, flush=True)


class SqlStats:
    """Time every statement of this process from Python (``--sql-stats``):
    PostgreSQL's time as the client sees it, round trip included, without
    ``pg_stat_statements`` (which needs a restart of the shared cluster).
    Statements are grouped by their text, placeholders lists folded, and by
    phase of the timed part; ``COMMIT`` is timed too."""

    VALUES = re.compile(r"\(%s(?:, %s)*\)(?:, \(%s(?:, %s)*\))+")
    PLACEHOLDERS = re.compile(r"%s(?:, %s)+")
    SAVEPOINT = re.compile(r'SAVEPOINT "[^"]+"')

    def __init__(self):
        self.phase = "setup"
        self.stats = defaultdict(lambda: [0, 0.0, 0])

    def normalize(self, query):
        if isinstance(query, bytes):
            query = query.decode()
        query = self.SAVEPOINT.sub('SAVEPOINT "..."', self.VALUES.sub("(...), ...", query))
        return " ".join(self.PLACEHOLDERS.sub("%s, ...", query).split())

    def record(self, statement, delay, rows=0):
        entry = self.stats[self.phase, statement]
        entry[0] += 1
        entry[1] += delay
        entry[2] += max(rows, 0)

    def hook(self, cr, query, params, start, delay):
        self.record(self.normalize(query), delay, cr._obj.rowcount)

    def install(self):
        from odoo import sql_db

        threading.current_thread().query_hooks = (self.hook,)
        commit = sql_db.Cursor.commit
        stats = self

        def timed_commit(cr):
            cr.flush()
            start = time.perf_counter()
            cr._cnx.commit()
            stats.record("COMMIT", time.perf_counter() - start)
            return commit(cr)  # nothing left to commit: the rest of Odoo's commit

        sql_db.Cursor.commit = timed_commit

    def report(self):
        rows = [
            {
                "phase": phase,
                "statement": statement,
                "calls": calls,
                "seconds": round(seconds, 3),
                "ms_per_call": round(1000 * seconds / calls, 2),
                "rows": rows,
            }
            for (phase, statement), (calls, seconds, rows) in self.stats.items()
        ]
        rows.sort(key=lambda row: -row["seconds"])
        totals = defaultdict(float)
        for row in rows:
            totals[row["phase"]] += row["seconds"]
        return {
            "sql_seconds_by_phase": {k: round(v, 2) for k, v in totals.items()},
            "statements": rows,
        }


SQL_STATS = SqlStats()


def set_phase(name):
    SQL_STATS.phase = name


def build_leads(env, size):
    """Create ``size`` partners and leads with a salesperson, tagged for this
    run; return the tag id. Fixtures only, not timed: the first
    ``ORM_LEADS`` through the ORM (no tracking, no notification), the others
    as SQL copies of the first with their own name, address and partner."""
    tag = env["crm.tag"].create({"name": f"Bench {size} {uuid.uuid4().hex[:8]}"})
    admin = env.ref("base.user_admin")
    team = env["crm.team"]._get_default_team_id(user_id=admin.id)
    env = env(
        context={"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
        | {"mail_auto_subscribe_no_notify": True}
    )
    count = min(size, ORM_LEADS)
    partners = env["res.partner"].create(
        [
            {"name": f"Contact {tag.id}-{i}", "email": f"bench{tag.id}.{i}@example.com"}
            for i in range(count)
        ]
    )
    leads = env["crm.lead"].create(
        [
            {
                "name": f"Bench lead {tag.id}-{i}",
                "contact_name": partner.name,
                "partner_id": partner.id,
                "email_from": partner.email,
                "user_id": admin.id,
                "team_id": team.id,
                "tag_ids": [(4, tag.id)],
            }
            for i, partner in enumerate(partners)
        ]
    )
    env.cr.commit()
    say(f"  leads: {count:,} / {size:,} (ORM)")
    for start in range(count, size, SQL_LEADS):
        stop = min(start + SQL_LEADS, size)
        copy_leads(env.cr, tag.id, partners[0].id, leads[0].id, start, stop)
        env.cr.commit()
        say(f"  leads: {stop:,} / {size:,} (SQL copies)")
    # statistics as a live database has them: a plan made for the tables
    # before the copies (32 s for the audience of 50,000 once) is not timed
    env.cr.execute("ANALYZE crm_lead, crm_tag_rel, res_partner")
    env.cr.commit()
    env.invalidate_all()
    return tag.id


def copy_rows(cr, table, template_id, source, replacements):
    """Insert one copy of row ``template_id`` of ``table`` per row of the
    ``source`` query (aliased ``src``), with the ``replacements`` (column:
    SQL expression); return the new ids in order."""
    cr.execute(
        SQL(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = %s AND column_name != 'id' ORDER BY ordinal_position",
            table,
        )
    )
    columns = [column for (column,) in cr.fetchall()]
    cr.execute(
        SQL(
            "INSERT INTO %s (%s) SELECT %s FROM %s tmpl, (%s) src WHERE tmpl.id = %s"
            " ORDER BY src.i RETURNING id",
            SQL.identifier(table),
            SQL(", ").join(SQL.identifier(column) for column in columns),
            SQL(", ").join(
                replacements.get(column) or SQL.identifier("tmpl", column) for column in columns
            ),
            SQL.identifier(table),
            source,
            template_id,
        )
    )
    return [row[0] for row in cr.fetchall()]


def copy_leads(cr, tag_id, partner_id, lead_id, start, stop):
    email = SQL("'bench' || %s || '.' || src.i || '@example.com'", tag_id)
    name = SQL("'Contact ' || %s || '-' || src.i", tag_id)
    partner_ids = copy_rows(
        cr,
        "res_partner",
        partner_id,
        SQL("SELECT generate_series(%s, %s) AS i", start, stop - 1),
        {"name": name, "complete_name": name, "email": email, "email_normalized": email},
    )
    cr.execute(
        SQL("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", partner_ids)
    )
    lead_ids = copy_rows(
        cr,
        "crm_lead",
        lead_id,
        SQL(
            "SELECT partner.id AS i, partner.id, partner.name, partner.email"
            " FROM res_partner partner WHERE partner.id = ANY(%s)",
            partner_ids,
        ),
        {
            "name": SQL("'Bench lead ' || src.name"),
            "contact_name": SQL("src.name"),
            "partner_id": SQL("src.id"),
            "email_from": SQL("src.email"),
            "email_normalized": SQL("src.email"),
        },
    )
    cr.execute(
        SQL(
            "INSERT INTO crm_tag_rel (lead_id, tag_id) SELECT unnest(%s::int[]), %s",
            lead_ids,
            tag_id,
        )
    )


def run_addon(env, tag_id):
    template = env["mail.template"].create(
        {
            "name": f"Bench {tag_id}",
            "model_id": env["ir.model"]._get_id("crm.lead"),
            "subject": SUBJECT,
            "body_html": BODY,
            "use_default_to": True,
        }
    )
    journey = env["mail.journey"].create(
        {
            "name": f"Bench {tag_id}",
            "model": "crm.lead",
            "domain": repr([("tag_ids", "in", [tag_id])]),
            "step_ids": [
                (0, 0, {"name": "Email", "action": "email", "mail_template_id": template.id})
            ],
        }
    )
    journey.action_start()
    env.cr.commit()
    env.invalidate_all()

    def timed():
        set_phase("enroll")
        started, cpu = time.perf_counter(), time.process_time()
        leads = env["crm.lead"].search([("tag_ids", "in", [tag_id])])
        journey._enroll(leads)
        env.cr.commit()
        env.invalidate_all()
        PHASES["enroll"] = phase_figures(started, cpu)
        if ENROLL_ONLY:
            return
        set_phase("cron")
        started, cpu = time.perf_counter(), time.process_time()
        go(EXECUTORS)
        env["mail.journey.engine"]._cron_execute()
        env.cr.commit()
        helpers = results(EXECUTORS)
        PHASES["cron"] = phase_figures(started, cpu)
        if helpers:
            PHASES["cron"].update(
                executors=1 + len(helpers),
                executor_cpu_seconds=round(sum(result["cpu_seconds"] for result in helpers), 2),
            )

    return timed


PHASES = {}
ENROLL_ONLY = False  # --enroll-only: path a's enrollment alone
EXECUTORS = []  # --executors: path a's executor processes besides this one


def phase_figures(started, cpu):
    """Wall and CPU seconds since ``started``/``cpu``, the current RSS and
    the peak so far (MB)."""
    with open("/proc/self/statm") as statm:
        rss_pages = int(statm.read().split()[1])
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "rss_mb": round(rss_pages * resource.getpagesize() / 2**20),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def run_mass_mailing(env, tag_id):
    mailing = env["mailing.mailing"].create(
        {
            "subject": SUBJECT,
            "body_html": BODY,
            "mailing_type": "mail",
            "mailing_model_id": env["ir.model"]._get_id("crm.lead"),
            "mailing_domain": repr([("tag_ids", "in", [tag_id])]),
        }
    )
    mailing.action_put_in_queue()
    env.cr.commit()
    env.invalidate_all()

    def timed():
        set_phase("queue")
        started, cpu = time.perf_counter(), time.process_time()
        env["mailing.mailing"]._process_mass_mailing_queue()
        env.cr.commit()
        PHASES["queue"] = phase_figures(started, cpu)

    return timed


def run_sql(env, tag_id):
    """The floor: the rows an ORM path writes for each email, written with
    COPY from rows built in Python (the body by string formatting)."""
    cr = env.cr
    author_id = env.ref("base.user_admin").partner_id.id
    raw = cr._obj  # COPY is not part of Odoo's cursor API

    def timed():
        cr.execute(
            """
            SELECT lead.id, lead.contact_name, lead.email_from
              FROM crm_lead lead
              JOIN crm_tag_rel rel ON rel.lead_id = lead.id
             WHERE rel.tag_id = %s
          ORDER BY lead.id
            """,
            [tag_id],
        )
        leads = cr.fetchall()
        cr.execute(
            "SELECT nextval('mail_message_id_seq') FROM generate_series(1, %s)", [len(leads)]
        )
        message_ids = [row[0] for row in cr.fetchall()]
        messages, mails = io.StringIO(), io.StringIO()
        for message_id, (lead_id, name, email) in zip(message_ids, leads, strict=True):
            body = BODY.replace('<t t-out="object.contact_name"/>', name)
            msgid = f"<bench-{message_id}@example.com>"
            messages.write(
                f"{message_id}\tcrm.lead\t{lead_id}\temail_outgoing\tHello {name}\t{body}\t"
                f"{author_id}\t{msgid}\tnow()\tnow()\tnow()\n"
            )
            mails.write(f"{message_id}\t{body}\t{email}\toutgoing\tf\tf\tnow()\tnow()\n")
        messages.seek(0)
        mails.seek(0)
        raw.copy_from(
            messages,
            "mail_message",
            columns=(
                "id",
                "model",
                "res_id",
                "message_type",
                "subject",
                "body",
                "author_id",
                "message_id",
                "date",
                "create_date",
                "write_date",
            ),
        )
        raw.copy_from(
            mails,
            "mail_mail",
            columns=(
                "mail_message_id",
                "body_html",
                "email_to",
                "state",
                "auto_delete",
                "is_notification",
                "create_date",
                "write_date",
            ),
        )
        cr.commit()
        return 4  # statements run: the select, the ids, two COPY

    return timed


def queued_emails(cr, first_mail_id, tag_id):
    """Count the mail.mail queued since ``first_mail_id``: all of them, those
    to this run's leads, and their distinct records and recipients."""
    cr.execute(
        """
        SELECT count(*),
               count(*) FILTER (WHERE rel.lead_id IS NOT NULL),
               count(DISTINCT message.res_id),
               count(DISTINCT coalesce(nullif(mail.email_to, ''), (
                   SELECT string_agg(partner.email_normalized, ',')
                     FROM mail_mail_res_partner_rel recipient
                     JOIN res_partner partner ON partner.id = recipient.res_partner_id
                    WHERE recipient.mail_mail_id = mail.id)))
          FROM mail_mail mail
          JOIN mail_message message ON message.id = mail.mail_message_id
     LEFT JOIN crm_tag_rel rel ON rel.lead_id = message.res_id
                              AND message.model = 'crm.lead' AND rel.tag_id = %s
         WHERE mail.id > %s
        """,
        [tag_id, first_mail_id],
    )
    total, to_leads, records, recipients = cr.fetchone()
    return {
        "queued": total,
        "queued_to_leads": to_leads,
        "distinct_records": records,
        "distinct_recipients": recipients,
    }


PATHS = {"addon": run_addon, "mass_mailing": run_mass_mailing, "sql": run_sql}


def count_files(folder):
    return sum(1 for entry in os.scandir(folder) if entry.name.endswith(".eml"))


def sink_check(folder):
    """The messages the sink accepted and their distinct recipients (To)."""
    parser = BytesHeaderParser()
    recipients = set()
    accepted = 0
    for entry in os.scandir(folder):
        if entry.name.endswith(".eml"):
            accepted += 1
            with open(entry.path, "rb") as message:
                recipients.add(parser.parse(message)["To"])
    return {"accepted": accepted, "distinct_recipients": len(recipients)}


def prepare_sending(env, port):
    """End to end (``--smtp-port``): one outgoing mail server, the project's
    SMTP sink on ``port``; the emails left outgoing by earlier runs in this
    database are cancelled, so that only this run's are sent (not timed)."""
    env["ir.mail_server"].search([]).active = False
    env["ir.mail_server"].create(
        {
            "name": "Bench sink",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_encryption": "none",
        }
    )
    env.cr.execute("UPDATE mail_mail SET state = 'cancel' WHERE state = 'outgoing'")
    env.cr.commit()


def start_helpers(args, step, count):
    """``count`` more Odoo processes of ``--step step`` (``sender``,
    ``executor``), each doing what one cron of that kind does, loaded before
    the timed part (cron workers are running in production) and waiting
    for a go on their stdin."""
    command = [
        sys.executable,
        __file__,
        "--db",
        args.db,
        "--addons-path",
        args.addons_path,
        "--step",
        step,
        "--size",
        "0",
    ]
    helpers = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _index in range(count)
    ]
    for helper in helpers:
        for line in helper.stdout:
            if line.startswith("READY"):
                break
    return helpers


def go(helpers):
    for helper in helpers:
        helper.stdin.write("go\n")
        helper.stdin.flush()


def results(helpers):
    """Wait for ``helpers`` to end; their RESULT dicts."""
    found = []
    for helper in helpers:
        for line in helper.stdout:
            if line.startswith("RESULT "):
                found.append(json.loads(line[len("RESULT ") :]))
        helper.wait()
    return found


def run_executor(env):
    """One more journey executor (``--step executor``): after the go on
    stdin, the executing cron's method until nothing is left to lock."""
    say("READY")
    sys.stdin.readline()
    started, cpu = time.perf_counter(), time.process_time()
    env["mail.journey.engine"]._cron_execute()
    env.cr.commit()
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
    }


def run_sender(env):
    """One journey sender (``--step sender``): after the go on stdin, send
    chunk after chunk (``mail.mail._journey_send_chunk``, committed) until no
    journey email is outgoing; the other senders' chunks are left to them."""
    say("READY")
    sys.stdin.readline()
    started, cpu = time.perf_counter(), time.process_time()
    chunks = 0
    while True:
        sent, _remaining = env["mail.mail"]._journey_send_chunk()
        env.cr.commit()
        env.invalidate_all()
        if sent:
            chunks += 1
            continue
        env.cr.execute(
            """
            SELECT count(*) FROM mail_mail mail
             WHERE mail.state = 'outgoing'
               AND EXISTS (SELECT FROM mail_journey_trace trace WHERE trace.mail_mail_id = mail.id)
            """
        )
        if not env.cr.fetchone()[0]:
            break
        time.sleep(0.05)  # the rest is in the other senders' hands
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "chunks": chunks,
    }


def send_queue(env, folder, size, senders=(), timeout=3600):
    """Send the queued emails as Odoo's queue cron does (``mail.mail``
    ``process_email_queue(batch_size=1000)``, one run after the other while
    emails remain: the cron's own loop and asap reschedule), or, given
    ``senders`` (sender processes of ``start_helpers``), as that many journey
    sender crons do side by side; then wait until the sink has accepted
    ``size`` messages; return the figures of the phase."""
    set_phase("send")
    started, cpu = time.perf_counter(), time.process_time()
    runs = 0
    go(senders)
    sender_results = results(senders)
    while not senders:  # Odoo's queue loop, when no sender process sends
        env.cr.execute("SELECT count(*) FROM mail_mail WHERE state = 'outgoing'")
        if not env.cr.fetchone()[0]:
            break
        env["mail.mail"].process_email_queue(batch_size=1000)
        env.cr.commit()
        env.invalidate_all()
        runs += 1
    while count_files(folder) < size and time.perf_counter() - started < timeout:
        time.sleep(0.05)
    figures = phase_figures(started, cpu)
    figures.update(queue_runs=runs, **sink_check(folder))
    if senders:
        figures.update(
            senders=len(senders),
            sender_chunks=sum(result["chunks"] for result in sender_results),
            sender_cpu_seconds=round(sum(result["cpu_seconds"] for result in sender_results), 2),
        )
    PHASES["send"] = figures


def run_path(env, args):
    """Run the timed part of one path; return its figures."""
    from odoo import sql_db

    cr = env.cr
    cr.execute("SELECT coalesce(max(id), 0) FROM mail_mail")
    first_mail_id = cr.fetchone()[0]
    timed = PATHS[args.step](env, args.tag)
    if args.step == "addon" and args.executors > 1 and not args.enroll_only:
        EXECUTORS.extend(start_helpers(args, "executor", args.executors - 1))
    if args.smtp_port:
        prepare_sending(env, args.smtp_port)
        queue = timed
        senders = (
            start_helpers(args, "sender", args.senders)
            if args.step == "addon" and args.senders > 1
            else ()
        )

        def timed():
            queue()
            # mass mailing deletes its emails once sent: counted before
            PHASES["queued"] = queued_emails(cr, first_mail_id, args.tag)
            send_queue(env, args.smtp_folder, args.size, senders)

    if args.sql_stats:
        SQL_STATS.install()
        set_phase(args.step)
    queries_before, started = sql_db.sql_counter, time.perf_counter()
    cpu_before = time.process_time()
    if args.profile:
        profiler = cProfile.Profile()
        statements = profiler.runcall(timed)
        profiler.dump_stats(args.profile)
    else:
        statements = timed()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    set_phase("check")
    queries = statements or sql_db.sql_counter - queries_before
    result = {
        "seconds": round(elapsed, 2),
        "cpu_seconds": round(cpu, 2),
        "queries": queries,
        **queued_emails(cr, first_mail_id, args.tag),
    }
    if PHASES:
        result["phases"] = PHASES
    if args.sql_stats:
        report = SQL_STATS.report()
        threading.current_thread().query_hooks = ()
        with open(args.sql_stats, "w") as output:
            json.dump(report, output, indent=1)
        result["sql_seconds_by_phase"] = report["sql_seconds_by_phase"]
    return result


MILLION_RUNNING = 200000  # of the enrollments: running with a scheduled trace (half due now)
MILLION_IDLE = 50000  # running, nothing scheduled, to complete later (idle_deadline ahead)
DRIFT_BATCHES = 60  # due traces worked off after the calls, by 500


def timed_calls(env, call, times=5):
    """Seconds of each of ``times`` calls of ``call``, each in its own
    transaction, rolled back."""
    seconds = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        seconds.append(round(time.perf_counter() - started, 4))
        env.cr.rollback()
        env.invalidate_all()
    return seconds


def table_bytes(cr, table):
    cr.execute(
        SQL(
            "SELECT pg_total_relation_size(%s), pg_relation_size(%s), pg_indexes_size(%s),"
            " (SELECT count(*) FROM %s)",
            table,
            table,
            table,
            SQL.identifier(table),
        )
    )
    total, heap, indexes, rows = cr.fetchone()
    return {
        "rows": rows,
        "total_bytes": total,
        "table_bytes": heap,
        "index_bytes": indexes,
        "bytes_per_row": round(total / max(rows, 1)),
    }


def run_million(env, size):
    """A journey with ``size`` enrollments and one trace each, built by SQL
    (not timed): most completed with their email done, ``MILLION_RUNNING``
    running with a scheduled trace (half of them due), ``MILLION_IDLE``
    running with nothing scheduled and their time to engage ahead. Measures
    the idle-enrollment check and the due-trace lock (each call in a
    transaction rolled back), then works the due traces off by batches of
    500 (marked done by SQL, committed, no VACUUM) and times the lock as
    the done traces pile up; reports the bytes per row of both tables."""
    cr = env.cr
    template = env["mail.template"].create(
        {"name": "Million", "model_id": env["ir.model"]._get_id("crm.lead"), "subject": "Hi"}
    )
    journey = env["mail.journey"].create(
        {
            "name": f"Million {uuid.uuid4().hex[:6]}",
            "model": "crm.lead",
            "step_ids": [
                (0, 0, {"name": "Email", "action": "email", "mail_template_id": template.id})
            ],
        }
    )
    journey.action_start()
    step = journey.step_ids
    partner = env["res.partner"].create({"name": "Million", "email": "million@example.com"})
    lead = env["crm.lead"].create(
        {"name": "Million", "partner_id": partner.id, "email_from": partner.email}
    )
    env.cr.commit()
    started = time.perf_counter()
    for start in range(0, size, 100000):
        stop = min(start + 100000, size)
        cr.execute(
            SQL(
                """
                WITH new AS (
                    INSERT INTO mail_journey_enrollment
                        (journey_id, company_id, res_model, res_id, lead_id, partner_id, user_id,
                         state, date_start, date_end, exit_reason, next_trace_date, idle_deadline,
                         account_key, is_holdout, create_uid, create_date, write_uid, write_date)
                    SELECT %(journey)s, %(company)s, 'crm.lead', 10000000 + i, %(lead)s,
                           %(partner)s, 2,
                           CASE WHEN i < %(running)s THEN 'running'
                                WHEN i < %(running)s + %(idle)s THEN 'running'
                                ELSE 'completed' END,
                           now() - interval '10 days',
                           CASE WHEN i >= %(running)s + %(idle)s THEN now() - interval '3 days' END,
                           CASE WHEN i >= %(running)s + %(idle)s THEN 'All steps done.' END,
                           CASE WHEN i < %(running)s THEN now() END,
                           CASE WHEN i >= %(running)s AND i < %(running)s + %(idle)s
                                THEN now() + interval '2 days' END,
                           'domain-customer' || (i %% 50000) || '.example.com', false,
                           2, now(), 2, now()
                      FROM generate_series(%(start)s, %(stop)s - 1) AS i
                 RETURNING id, res_id - 10000000 AS i
                )
                INSERT INTO mail_journey_trace
                    (enrollment_id, step_id, journey_id, company_id, step_action, res_model,
                     res_id, lead_id, partner_id, schedule_date, state, date_done, message_id,
                     email, template_key, sent_datetime, create_uid, create_date, write_uid,
                     write_date)
                SELECT new.id, %(step)s, %(journey)s, %(company)s, 'email', 'crm.lead',
                       10000000 + new.i, %(lead)s, %(partner)s,
                       CASE WHEN new.i < %(running)s / 2 THEN now() - interval '1 minute'
                                                          * (new.i %% 600)
                            WHEN new.i < %(running)s THEN now() + interval '1 day'
                            ELSE now() - interval '9 days' END,
                       CASE WHEN new.i < %(running)s THEN 'scheduled' ELSE 'done' END,
                       CASE WHEN new.i >= %(running)s THEN now() - interval '9 days' END,
                       CASE WHEN new.i >= %(running)s
                            THEN '<' || md5(new.i::text) || '-journey@example.com>' END,
                       CASE WHEN new.i >= %(running)s
                            THEN 'contact' || new.i || '@customer' || (new.i %% 50000)
                                 || '.example.com' END,
                       md5(%(step)s::text),
                       CASE WHEN new.i >= %(running)s THEN now() - interval '9 days' END,
                       2, now(), 2, now()
                  FROM new
                """,
                journey=journey.id,
                company=journey.company_id.id,
                lead=lead.id,
                partner=partner.id,
                step=step.id,
                running=MILLION_RUNNING,
                idle=MILLION_IDLE,
                start=start,
                stop=stop,
            )
        )
        cr.commit()
        say(f"  million: {stop:,} / {size:,} enrollments and traces (SQL)")
    build_seconds = round(time.perf_counter() - started, 1)
    # statistics as autovacuum would have them
    cr.execute("ANALYZE mail_journey_enrollment")
    cr.execute("ANALYZE mail_journey_trace")
    cr.commit()
    engine = env["mail.journey.engine"]
    Enrollment = env["mail.journey.enrollment"]
    rss_before = phase_figures(time.perf_counter(), time.process_time())["rss_mb"]
    result = {
        "size": size,
        "build_seconds": build_seconds,
        "lock_due_500_seconds": timed_calls(env, lambda: engine._lock_due(500)),
        "complete_idle_seconds": timed_calls(env, lambda: Enrollment._complete_idle()),
        "count_due_seconds": timed_calls(env, engine._count_due, times=3),
        "enrollment": table_bytes(cr, "mail_journey_enrollment"),
        "trace": table_bytes(cr, "mail_journey_trace"),
    }
    # the due traces worked off by batches of 500 in one run, no VACUUM
    # between: does the lock's cost grow with the traces done so far?
    drift = []
    for batch in range(DRIFT_BATCHES):
        if batch % 10 == 0:
            started = time.perf_counter()
            engine._lock_due(500)
            drift.append({"done": batch * 500, "seconds": round(time.perf_counter() - started, 4)})
        traces = engine._lock_due(500)
        cr.execute(
            SQL(
                "UPDATE mail_journey_trace SET state = 'done', date_done = now() WHERE id IN %s",
                tuple(traces.ids) or (0,),
            )
        )
        cr.commit()
        env.invalidate_all()
    result["lock_due_while_working_off"] = drift
    result["rss_mb_before_calls"] = rss_before
    result["rss_mb_after_calls"] = phase_figures(time.perf_counter(), time.process_time())["rss_mb"]
    return result


def run_drift(env, batches):
    """On a database where ``--step million`` ran: work ``batches`` more
    batches of 500 due traces off as a cron run does (lock, mark done by
    SQL, commit), the lock taking the run's resume point; every 10 batches,
    time the lock with the resume point and from the head of the queue."""
    engine = env["mail.journey.engine"]
    cr = env.cr
    cr.execute(
        "SELECT count(*) FROM mail_journey_trace WHERE state = 'done'"
        " AND date_done > now() - interval '1 day'"
    )
    already = cr.fetchone()[0]
    drift, resume = [], None
    for batch in range(batches):
        if batch % 10 == 0:
            started = time.perf_counter()
            engine._lock_due(500, after=resume)
            with_resume = time.perf_counter() - started
            started = time.perf_counter()
            engine._lock_due(500)
            drift.append(
                {
                    "done": already + batch * 500,
                    "with_resume_point": round(with_resume, 4),
                    "from_the_head": round(time.perf_counter() - started, 4),
                }
            )
            cr.rollback()
        traces = engine._lock_due(500, after=resume)
        if not traces:
            break
        resume = (traces[-1].schedule_date, traces[-1].id)
        cr.execute(
            SQL(
                "UPDATE mail_journey_trace SET state = 'done', date_done = now() WHERE id IN %s",
                tuple(traces.ids),
            )
        )
        cr.commit()
        env.invalidate_all()
    return {"lock_due_while_working_off": drift}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument(
        "--step", required=True, choices=["leads", "million", "drift", "sender", "executor", *PATHS]
    )
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--tag", type=int, help="the tag of the leads (paths only)")
    parser.add_argument(
        "--enroll-only", action="store_true", help="path a: time the enrollment only"
    )
    parser.add_argument(
        "--smtp-port", type=int, help="end to end: send the emails to the SMTP sink on this port"
    )
    parser.add_argument("--smtp-folder", help="the sink's folder (end to end: counted)")
    parser.add_argument(
        "--senders",
        type=int,
        default=1,
        help="end to end, path a: journey senders side by side (1: Odoo's queue loop)",
    )
    parser.add_argument(
        "--executors",
        type=int,
        default=1,
        help="path a: executing processes side by side (as that many executing crons)",
    )
    parser.add_argument("--profile", help="write a cProfile of the timed part to this file")
    parser.add_argument(
        "--sql-stats", help="write the time of each SQL statement (JSON) to this file"
    )
    args = parser.parse_args()
    global ENROLL_ONLY  # noqa: PLW0603 - one flag of this one-shot process
    ENROLL_ONLY = args.enroll_only

    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(
        ["-d", args.db, "--addons-path", args.addons_path, "--log-level=warn", "--no-http"]
    )
    # Odoo's mail composer calls a deprecated progress helper once per batch
    # of 50 and would log a stack trace each time: silenced, as in production
    warnings.filterwarnings("ignore", "Since 19.0, use _commit_progress", DeprecationWarning)
    registry = Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        if args.step == "leads":
            result = {"tag": build_leads(env, args.size)}
        elif args.step == "million":
            result = run_million(env, args.size)
        elif args.step == "drift":
            result = run_drift(env, args.size)
        elif args.step == "sender":
            result = run_sender(env)
        elif args.step == "executor":
            result = run_executor(env)
        else:
            result = run_path(env, args)
        # kilobytes on Linux: the peak of this process, Odoo registry included
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
