"""Scenario ``tracking`` of bench/live.py (issue 21, item 6): this addon's
open and click routes against mass mailing's own tracking routes, on the
same server (two HTTP workers, one cron worker: the engagement cron counts
the opens and clicks on the leads meanwhile), at the same offered rates,
side by side; every request timed, and what each path recorded counted.

    python bench/live.py tracking --db DB --addons-path PATH \
        [--size 1000 --rates 50,100,150,200 --seconds 30 --rounds 2 --clients 16]
"""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests
from live import (
    BROWSER,
    OdooServer,
    OdooShell,
    Report,
    percentile,
    query,
    say,
    wait_until_crons_idle,
)

# the same leads get one journey email and one mass mailing, both queued
# (not sent: the routes only need the URLs the recipients would get)
TRACKING_FIXTURE = """
import re
size = PARAMS["size"]
body = '<p>Hello, <a href="https://www.example.com/tubes">our tubes</a></p>'
leads = env["crm.lead"].with_context(
    tracking_disable=True, mail_create_nolog=True, mail_auto_subscribe_no_notify=True
).create([
    {"name": f"tracking lead {i}", "contact_name": f"tracking contact {i}",
     "email_from": f"tracking.{i}@customer.example.com", "type": "opportunity"}
    for i in range(size)
])
template = env["mail.template"].create({
    "name": "Live benchmark tracking",
    "model_id": env["ir.model"]._get_id("crm.lead"),
    "subject": "Tubes for {{ object.contact_name }}",
    "body_html": body,
    "email_from": "sales@yourcompany.example.com",
    "use_default_to": True,
})
journey = env["mail.journey"].create({
    "name": "Live benchmark tracking",
    "model": "crm.lead",
    "step_ids": [(0, 0, {"name": "Email", "action": "email", "mail_template_id": template.id})],
})
journey.action_start()
journey._enroll(leads)
env["mail.journey.engine"]._cron_execute()
mailing = env["mailing.mailing"].create({
    "subject": "Tubes",
    "email_from": "sales@yourcompany.example.com",
    "mailing_model_id": env["ir.model"]._get_id("crm.lead"),
    "mailing_domain": repr([("id", "in", leads.ids)]),
    "body_html": body,
    "body_arch": body,
})
mailing.action_put_in_queue()
env["mailing.mailing"]._process_mass_mailing_queue()
env.cr.commit()
journey_mails = env["mail.journey.trace"].search([("journey_id", "=", journey.id)]).mail_mail_id
addon = [
    path for mail in journey_mails
    for path in re.findall(r'/mail_journey/[oc]/[^"]+(?=")', mail.body_html)
]
# mass mailing adds its pixel and the trace to its links when sending
mass_mailing = [
    path for mail in env["mail.mail"].search([("mailing_id", "=", mailing.id)])
    for path in re.findall(r'/r/\\w+/m/\\d+|/mail/track/\\d+/\\w+/blank\\.gif',
                           mail._prepare_outgoing_body())
]
print("RESULT " + json.dumps({
    "journey": journey.id, "mailing": mailing.id,
    "paths": {"addon": addon, "mass_mailing": mass_mailing},
}))
"""

TRACKING_LABELS = {"addon": "this addon", "mass_mailing": "mass mailing"}


def hammer(url, paths, rate, seconds, clients):
    """GET ``paths`` in turn at ``rate`` per second for ``seconds`` seconds,
    at most ``clients`` at a time; per request: status (or exception name),
    seconds from its planned start and seconds from its actual start to the
    answer. The planned start counts the time a request waited for a free
    client: a server that falls behind shows in it."""

    def get(path, planned):
        started = time.monotonic()
        try:
            answer = session().get(f"{url}{path}", allow_redirects=False, timeout=60)
            status = answer.status_code
        except requests.RequestException as error:
            status = type(error).__name__
        now = time.monotonic()
        return status, now - planned, now - started

    sessions = {}

    def session():
        key = threading.get_ident()
        if key not in sessions:
            sessions[key] = requests.Session()
            sessions[key].headers["User-Agent"] = BROWSER
        return sessions[key]

    total = round(rate * seconds)
    begin = time.monotonic()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = []
        for index in range(total):
            planned = begin + index / rate
            if (delay := planned - time.monotonic()) > 0:
                time.sleep(delay)
            futures.append(pool.submit(get, paths[index % len(paths)], planned))
        answers = [future.result() for future in futures]
    return answers, time.monotonic() - begin


def tracking_row(path, rate, answers, elapsed):
    """One line of the report: the requests of one path at one offered rate."""
    statuses = Counter(status for status, _planned, _service in answers)
    errors = sum(count for status, count in statuses.items() if status not in (200, 301, 302))
    return {
        "path": path,
        "offered": rate,
        "requests": len(answers),
        "sustained": round(len(answers) / elapsed, 1),
        "errors": errors,
        "statuses": {str(status): count for status, count in statuses.items()},
        "p50_ms": round(1000 * percentile([planned for _s, planned, _v in answers], 0.5)),
        "p95_ms": round(1000 * percentile([planned for _s, planned, _v in answers], 0.95)),
        "service_p95_ms": round(1000 * percentile([service for _s, _p, service in answers], 0.95)),
    }


def tracking_records(db, fixture):
    """What each path recorded: the addon's events (how many are still to
    be counted, the leads' and the emails' counters), mass mailing's
    opened and clicked traces and its link clicks."""
    events = dict(
        query(
            db,
            "SELECT type, count(*) FROM mail_journey_event WHERE journey_id = %s "
            "AND type IN ('open', 'click') GROUP BY type",
            (fixture["journey"],),
        )
    )
    [(pending,)] = query(db, "SELECT count(*) FROM mail_journey_event WHERE engagement_pending")
    [(lead_opens, lead_clicks)] = query(
        db,
        "SELECT coalesce(sum(journey_open_count), 0), coalesce(sum(journey_click_count), 0) "
        "FROM crm_lead WHERE name LIKE 'tracking lead %%'",
    )
    [(trace_opens, trace_clicks)] = query(
        db,
        "SELECT coalesce(sum(open_count), 0), coalesce(sum(click_count), 0) "
        "FROM mail_journey_trace WHERE journey_id = %s",
        (fixture["journey"],),
    )
    [(opened, clicked)] = query(
        db,
        "SELECT count(open_datetime), count(links_click_datetime) FROM mailing_trace "
        "WHERE mass_mailing_id = %s",
        (fixture["mailing"],),
    )
    [(link_clicks,)] = query(
        db,
        "SELECT count(*) FROM link_tracker_click WHERE mass_mailing_id = %s",
        (fixture["mailing"],),
    )
    return {
        "addon_events": events,
        "addon_pending": pending,
        "lead_counters": {"open": int(lead_opens), "click": int(lead_clicks)},
        "trace_counters": {"open": int(trace_opens), "click": int(trace_clicks)},
        "mass_mailing": {
            "opened_traces": opened,
            "clicked_traces": clicked,
            "link_clicks": link_clicks,
        },
    }


def run_tracking(options):
    """Item 6: the tracking routes of this addon and of mass mailing under load."""
    shell = OdooShell(options)
    report = Report("tracking")
    say(f"fixture: {options.size:,} leads, one journey email and one mass mailing each")
    fixture = shell.run(TRACKING_FIXTURE, size=options.size)
    rows, answered = [], Counter()
    with OdooServer(options, "live-tracking-odoo", options.server_args.split()) as server:
        say(
            f"Odoo ({options.server_args}) on {server.url}; crons idle after "
            f"{wait_until_crons_idle(options.db)}s"
        )
        for rate in (float(rate) for rate in options.rates.split(",")):
            for _round in range(options.rounds):
                for path in ("addon", "mass_mailing"):
                    answers, elapsed = hammer(
                        server.url, fixture["paths"][path], rate, options.seconds, options.clients
                    )
                    row = tracking_row(path, rate, answers, elapsed)
                    say(
                        f"  {TRACKING_LABELS[path]:>12} offered {rate:g}/s: {row['sustained']}/s,"
                        f" p95 {row['p95_ms']} ms, errors {row['errors']}"
                    )
                    rows.append(row)
                    answered[path] += row["requests"] - row["errors"]
        # the engagement cron (every minute) counts the last events on the leads
        deadline = time.monotonic() + 180
        while (records := tracking_records(options.db, fixture))["addon_pending"] and (
            time.monotonic() < deadline
        ):
            time.sleep(5)
    report.data.update(
        options={k: v for k, v in vars(options).items() if k != "func"},
        rows=rows,
        answered=dict(answered),
        records=records,
    )
    tracking_report(report, options, rows, answered, records)
    draw_tracking_chart(rows, report.write().with_suffix(".png"))
    events = sum(records["addon_events"].values())
    return events == answered["addon"] and not records["addon_pending"]


def tracking_report(report, options, rows, answered, records):
    report.add(
        f"# Live tracking routes: this addon against mass mailing ({report.data['started']})",
        "",
        f"{options.size:,} leads with one journey email and one mass mailing each; Odoo "
        f"`{options.server_args}`; the URLs of the emails (opens and clicks in turn) requested "
        f"at each offered rate for {options.seconds:g} s, at most {options.clients} at a time, "
        f"{options.rounds} round(s), the two paths alternated. Latency counted from each "
        "request's planned start (a server that falls behind shows in it); service: from its "
        "actual start.",
        "",
    )
    report.table(
        [
            "offered /s",
            "path",
            "requests",
            "sustained /s",
            "p50 ms",
            "p95 ms",
            "service p95 ms",
            "errors",
        ],
        [
            [
                row["offered"],
                TRACKING_LABELS[row["path"]],
                row["requests"],
                row["sustained"],
                row["p50_ms"],
                row["p95_ms"],
                row["service_p95_ms"],
                row["errors"],
            ]
            for row in rows
        ],
    )
    events = records["addon_events"]
    mass = records["mass_mailing"]
    report.table(
        ["what was recorded", "value"],
        [
            ["this addon: requests answered", answered.get("addon", 0)],
            [
                "this addon: events in the engagement log (open + click)",
                f"{sum(events.values())} ({events.get('open', 0)} + {events.get('click', 0)})",
            ],
            ["this addon: events still to count", records["addon_pending"]],
            [
                "this addon: leads' counters (opens + clicks)",
                f"{records['lead_counters']['open']} + {records['lead_counters']['click']}",
            ],
            [
                "this addon: emails' counters (opens + clicks)",
                f"{records['trace_counters']['open']} + {records['trace_counters']['click']}",
            ],
            ["mass mailing: requests answered", answered.get("mass_mailing", 0)],
            [
                "mass mailing: traces opened / clicked",
                f"{mass['opened_traces']} / {mass['clicked_traces']}",
            ],
            ["mass mailing: link clicks recorded", mass["link_clicks"]],
        ],
    )


def draw_tracking_chart(rows, path):
    """Sustained rate and p95 latency against the offered rate, per path
    (one point per round)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, (rate_axes, latency_axes) = pyplot.subplots(1, 2, figsize=(10, 4.2), dpi=110)
    for path_name, label in TRACKING_LABELS.items():
        mine = [row for row in rows if row["path"] == path_name]
        offered = [row["offered"] for row in mine]
        rate_axes.plot(offered, [row["sustained"] for row in mine], "o", label=label)
        latency_axes.plot(offered, [row["p95_ms"] for row in mine], "o", label=label)
    top = max(row["offered"] for row in rows)
    rate_axes.plot([0, top], [0, top], ":", color="grey", label="offered")
    rate_axes.set_xlabel("offered requests per second")
    rate_axes.set_ylabel("sustained requests per second")
    latency_axes.set_xlabel("offered requests per second")
    latency_axes.set_ylabel("p95 latency from the planned start (ms)")
    latency_axes.set_yscale("log")
    for axes in (rate_axes, latency_axes):
        axes.grid(True, alpha=0.3)
        axes.legend()
    figure.suptitle("Tracking routes, 2 HTTP workers: this addon against mass mailing")
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
