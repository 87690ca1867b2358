"""Benchmarks against running Odoo servers (issue 21, items 4, 5 and 6), with
their crons on, as in production: nothing here runs a cron by hand.

Scenarios:

- ``latency``: the server as ``make demo`` runs it (threaded, one cron
  thread) and a running website welcome journey (trigger *Website form
  submitted*, one immediate email step); ``--forms`` website form
  submissions posted at a steady ``--rate`` as a browser does (GET the page,
  multipart POST with its CSRF token); reports the time from each POST to
  the welcome email accepted by the SMTP sink (p50, p95, max) and its phases.
- ``servers``: one journey of ``--emails`` leads worked off by the crons of
  one Odoo server (run A), then of two servers on the same database (run B);
  reports each run's wall time until the sink has every email, the emails
  per second and B/A, and checks no email was sent twice and none was lost.
- ``tracking``: the open and click routes of this addon against mass
  mailing's under load (``bench/live_tracking.py``).

The harness (``Sink``, ``OdooServer``, ``OdooShell``, ``CronLog``, ``Report``)
is shared by the scenarios. Run through ``scripts/bench_live.sh SCENARIO``
(``make bench-live SCENARIO=...``), which prepares a throw-away database::

    python bench/live.py latency --db DB --addons-path PATH [--forms 200 --rate 1]
    python bench/live.py servers --db DB --addons-path PATH [--emails 50000]
"""

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import psycopg2
import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VAR = ROOT / "var"
RESULTS = HERE / "results"
PROGRESS_SECONDS = 10
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
LATENCY_TARGET_P95 = 60


def say(message):
    print(message, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values, share):
    """The ``share`` (0 to 1) percentile of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def summary(values):
    """p50, p95 and max of a list of seconds, rounded."""
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(percentile(values, 0.5), 2),
        "p95": round(percentile(values, 0.95), 2),
        "max": round(max(values), 2),
    }


def counts_text(counts):
    """``{"done": 3, "error": 1}`` as ``done 3, error 1``."""
    return ", ".join(f"{key} {value}" for key, value in counts.items())


def utc_timestamp(value):
    """The POSIX time of a naive UTC datetime read from PostgreSQL."""
    return value.replace(tzinfo=timezone.utc).timestamp() if value else None


def query(db, sql, params=()):
    """Rows of one read-only query on ``db`` (its own connection)."""
    with contextlib.closing(psycopg2.connect(dbname=db)) as conn, conn.cursor() as cr:
        cr.execute(sql, params)
        return cr.fetchall()


def wait_until_crons_idle(db, timeout=180):
    """Wait until no cron of ``db`` is due (a fresh server first runs every
    cron whose date has passed): the measurement then starts on a quiet
    server. Returns the seconds waited."""
    started = time.monotonic()
    due_sql = """
        SELECT count(*) FROM ir_cron cron WHERE cron.active AND (
            cron.nextcall <= now() AT TIME ZONE 'UTC' OR EXISTS (
                SELECT 1 FROM ir_cron_trigger trigger WHERE trigger.cron_id = cron.id
                AND trigger.call_at <= now() AT TIME ZONE 'UTC'))
    """
    while query(db, due_sql)[0][0] and time.monotonic() - started < timeout:
        time.sleep(2)
    return round(time.monotonic() - started, 1)


# ---------------------------------------------------------------------------
# Processes: the SMTP sink, Odoo servers, Odoo shells
# ---------------------------------------------------------------------------


class Process:
    """A child process of ours in its own process group, always stopped:
    SIGTERM, then SIGKILL of the group after ``grace`` seconds."""

    grace = 30

    def __init__(self, name):
        self.name = name
        self.process = None
        self.log_path = VAR / f"{name}.log"

    def _spawn(self, command):
        VAR.mkdir(exist_ok=True)
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        if not self.alive():
            return
        self.process.terminate()
        try:
            self.process.wait(self.grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        raise NotImplementedError


class Sink(Process):
    """The project's SMTP sink (scripts/smtp_sink.py) on a free port, with
    its own folder and index: per accepted message, when and to whom."""

    grace = 5

    def __init__(self, name="sink"):
        super().__init__(name)
        self.port = free_port()
        self.folder = None
        self.index = None
        self._read = self._count = 0  # bytes of the index counted, lines in them

    def start(self):
        self.folder = tempfile.mkdtemp(prefix=f"{self.name}-", dir=VAR)
        self.index = Path(self.folder) / "index.jsonl"
        script = ROOT / "scripts" / "smtp_sink.py"
        self._spawn(
            [
                sys.executable,
                str(script),
                *("--port", str(self.port), "--folder", self.folder, "--index", str(self.index)),
            ]
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            if not self.alive():
                break
            time.sleep(0.2)
        raise RuntimeError(f"the SMTP sink did not start (log: {self.log_path})")

    def stop(self):
        super().stop()
        if self.folder:
            for path in Path(self.folder).iterdir():
                path.unlink()
            Path(self.folder).rmdir()
            self.folder = None

    def arrivals(self):
        """The accepted messages so far: dicts with time, to and file."""
        if not self.index.exists():
            return []
        with self.index.open(encoding="utf-8") as index:
            return [json.loads(line) for line in index if line.endswith("\n")]

    def count(self):
        """The messages accepted so far, reading only the index's new lines
        (polled while 50,000 emails arrive: no parsing, no re-reading)."""
        if not self.index.exists():
            return 0
        with self.index.open("rb") as index:
            index.seek(self._read)
            complete = index.read().rpartition(b"\n")[0]
        if complete:
            self._read += len(complete) + 1
            self._count += complete.count(b"\n") + 1
        return self._count

    def wait_for(self, count, timeout, label="sink"):
        """Wait until ``count`` messages were accepted or ``timeout``
        seconds passed, printing the progress; returns the count reached."""
        started = time.monotonic()
        last_print = started
        while (received := self.count()) < count and time.monotonic() - started < timeout:
            if time.monotonic() - last_print >= PROGRESS_SECONDS:
                last_print = time.monotonic()
                say(f"  {label}: {received:,} / {count:,} ({last_print - started:.0f}s)")
            time.sleep(1)
        return received


class OdooServer(Process):
    """``odoo-bin`` serving one database on a free local port, with the given
    extra options (``--workers=2 --max-cron-threads=2``...); its log is
    var/<name>.log at level info (the cron runs are read from it)."""

    grace = 60

    def __init__(self, options, name, extra_args=()):
        super().__init__(name)
        self.options = options
        self.port = free_port()
        self.extra_args = list(extra_args)
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self):
        db = self.options.db
        self._spawn(
            [
                sys.executable,
                str(Path(self.options.odoo_src) / "odoo-bin"),
                # -d without --db-filter: a request without a session (an email
                # client's) is given the database without listing them all
                # (with a filter, Odoo opens a connection to list them per request)
                *(f"--addons-path={self.options.addons_path}", "-d", db),
                *("--http-interface=127.0.0.1", f"--http-port={self.port}", "--log-level=info"),
                # each server its own websocket port (two servers on one machine)
                f"--gevent-port={free_port()}",
                *self.extra_args,
            ]
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if not self.alive():
                break
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/web/login", timeout=10).status_code == 200:
                    return
            time.sleep(1)
        raise RuntimeError(f"Odoo did not answer on {self.url} (log: {self.log_path})")

    def cron_log(self):
        return CronLog(self.log_path)


class OdooShell:
    """Odoo shells on the database for fixtures: the code gets ``PARAMS``
    (a dict) and reports with one printed line ``RESULT <json>``."""

    def __init__(self, options):
        self.options = options

    def command(self):
        return [
            sys.executable,
            str(Path(self.options.odoo_src) / "odoo-bin"),
            "shell",
            f"--addons-path={self.options.addons_path}",
            "-d",
            self.options.db,
            "--no-http",
            "--max-cron-threads=0",
            "--log-level=warn",
        ]

    def run(self, code, timeout=3600, **params):
        """Run ``code`` with ``PARAMS = params``; return its RESULT, parsed."""
        script = f"import json\nPARAMS = json.loads({json.dumps(params)!r})\n{code}"
        process = subprocess.Popen(
            self.command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = process.communicate(script, timeout=timeout)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        results = [line[7:] for line in out.splitlines() if line.startswith("RESULT ")]
        if process.returncode or not results:
            raise RuntimeError(
                f"Odoo shell failed ({process.returncode}):\n{out[-2000:]}\n{err[-4000:]}"
            )
        return json.loads(results[-1])


# the sink as the only outgoing mail server; the base URL of the emails' links
MAIL_SERVER = """
env["ir.mail_server"].search([]).write({"active": False})
env["ir.mail_server"].create({
    "name": "Live benchmark sink",
    "smtp_host": "127.0.0.1",
    "smtp_port": PARAMS["port"],
    "smtp_encryption": "none",
})
env["ir.config_parameter"].set_param("web.base.url", PARAMS["base_url"])
env.cr.commit()
print("RESULT true")
"""


def use_sink(shell, sink, base_url):
    """Point the database's outgoing email at ``sink`` (other mail servers
    archived) and its links at ``base_url``."""
    shell.run(MAIL_SERVER, port=sink.port, base_url=base_url)


class CronLog:
    """The cron runs an Odoo server logged (``Job 'name' (id) starting`` and
    ``... fully done|partially done|failed (#loop n; ...; duration s)``)."""

    LINE = re.compile(
        r"^(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d+ (?P<pid>\d+) \w+ \S+ "
        r"odoo\.addons\.base\.models\.ir_cron: Job '(?P<cron>.+)' \(\d+\) "
        r"(?P<status>fully done|partially done|failed) \(#loop (?P<loops>\d+);"
        r".*duration (?P<duration>[\d.]+)s\)"
    )

    def __init__(self, path):
        self.path = path

    def runs(self, since=0.0):
        """The finished runs ending after the POSIX time ``since``."""
        runs = []
        for line in self.path.read_text(errors="replace").splitlines():
            match = self.LINE.match(line)
            if not match:
                continue
            end = datetime.strptime(match["time"], "%Y-%m-%d %H:%M:%S").timestamp()
            if end >= since:
                runs.append(
                    {
                        "cron": match["cron"],
                        "pid": int(match["pid"]),
                        "status": match["status"],
                        "loops": int(match["loops"]),
                        "end": end,
                        "duration": float(match["duration"]),
                    }
                )
        return runs

    def by_cron(self, since=0.0):
        """Per cron: runs, loops, busy seconds, longest run, statuses, pids."""
        table = defaultdict(lambda: {"runs": 0, "loops": 0, "busy_s": 0.0, "longest_s": 0.0})
        statuses, pids = defaultdict(Counter), defaultdict(set)
        for run in self.runs(since):
            row = table[run["cron"]]
            row["runs"] += 1
            row["loops"] += run["loops"]
            row["busy_s"] = round(row["busy_s"] + run["duration"], 2)
            row["longest_s"] = max(row["longest_s"], run["duration"])
            statuses[run["cron"]][run["status"]] += 1
            pids[run["cron"]].add(run["pid"])
        for cron, row in table.items():
            row["statuses"] = dict(statuses[cron])
            row["processes"] = len(pids[cron])
        return dict(table)


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


class Report:
    """A scenario's results: Markdown lines and a JSON document, written to
    bench/results/live-<scenario>-<YYYYmmdd-HHMM>.{md,json} (a suffix keeps
    an earlier run's files) and printed."""

    def __init__(self, scenario):
        self.scenario = scenario
        self.lines = []
        self.data = {"scenario": scenario, "started": time.strftime("%Y-%m-%d %H:%M:%S")}

    def add(self, *lines):
        self.lines.extend(lines)

    def table(self, header, rows):
        """A Markdown table: ``header`` a list of titles, ``rows`` of cells."""
        self.add("| " + " | ".join(header) + " |", "|" + "---|" * len(header))
        self.add(*("| " + " | ".join(str(cell) for cell in row) + " |" for row in rows))
        self.add("")

    def cron_table(self, title, cron_runs):
        """The cron runs of one server (a ``CronLog.by_cron`` dict)."""
        self.add(f"{title}:", "")
        self.table(
            ["cron", "runs", "loops", "busy s", "longest run s", "statuses", "processes"],
            [
                [
                    cron,
                    *(row["runs"], row["loops"], row["busy_s"], row["longest_s"]),
                    *(counts_text(row["statuses"]), row["processes"]),
                ]
                for cron, row in sorted(cron_runs.items(), key=lambda item: -item[1]["busy_s"])
            ],
        )

    def write(self):
        """Write the files; return their path without extension."""
        RESULTS.mkdir(exist_ok=True)
        stem = f"live-{self.scenario}-{time.strftime('%Y%m%d-%H%M')}"
        suffix = ""
        while (RESULTS / f"{stem}{suffix}.md").exists() or (
            RESULTS / f"{stem}{suffix}.json"
        ).exists():
            suffix = f"-{int(suffix[1:] or 1) + 1}"
        (RESULTS / f"{stem}{suffix}.json").write_text(json.dumps(self.data, indent=2) + "\n")
        (RESULTS / f"{stem}{suffix}.md").write_text("\n".join(self.lines) + "\n")
        say("\n" + "\n".join(self.lines))
        say(f"written: {RESULTS}/{stem}{suffix}.md and .json")
        return RESULTS / f"{stem}{suffix}"


# ---------------------------------------------------------------------------
# Scenario latency: website form to inbox (issue 21, item 4)
# ---------------------------------------------------------------------------

PAGE_URL = "/live-bench-form"

# a page with a form creating leads, as the form builder saves it, and a
# running welcome journey: trigger "website form submitted", one email at once
LATENCY_FIXTURE = """
PAGE_ARCH = '''
<t t-name="website.live_bench_form">
  <t t-call="website.layout">
    <div id="wrap" class="oe_structure">
      <section class="s_website_form" data-snippet="s_website_form">
        <form id="live_form" action="/website/form/" method="post"
              enctype="multipart/form-data" data-model_name="crm.lead"
              data-success-mode="redirect" data-success-page="/contactus-thank-you">
          <input type="hidden" name="csrf_token" t-att-value="request.csrf_token()"/>
          <input type="text" name="contact_name" required="1"/>
          <input type="email" name="email_from" required="1"/>
          <input type="text" name="name" required="1"/>
          <textarea name="description"/>
        </form>
      </section>
    </div>
  </t>
</t>
'''
template = env["mail.template"].create({
    "name": "Live benchmark welcome",
    "model_id": env["ir.model"]._get_id("crm.lead"),
    "subject": "Welcome {{ object.contact_name }}",
    "body_html": '<p>Hello <t t-out="object.contact_name"/>, thanks for your request.</p>',
    "email_from": "sales@yourcompany.example.com",
    "use_default_to": True,
})
journey = env["mail.journey"].create({
    "name": "Live benchmark welcome",
    "model": "crm.lead",
    "trigger": "website_form",
    "step_ids": [(0, 0, {"name": "Welcome", "action": "email", "mail_template_id": template.id})],
})
journey.action_start()
env["website.page"].create({
    "name": "Live benchmark form",
    "type": "qweb",
    "key": "website.live_bench_form",
    "arch": PAGE_ARCH,
    "url": PARAMS["url"],
    "website_id": env["website"].search([], limit=1).id,
    "is_published": True,
})
env.cr.commit()
print("RESULT " + json.dumps({"journey": journey.id}))
"""


class FormReader(HTMLParser):
    """The CSRF token and field names of the lead form of a page."""

    def __init__(self):
        super().__init__()
        self.in_form, self.fields, self.csrf_token = False, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("data-model_name") == "crm.lead":
            self.in_form = True
        elif self.in_form and tag in ("input", "textarea") and attrs.get("name"):
            self.fields.append(attrs["name"])
            if attrs["name"] == "csrf_token":
                self.csrf_token = attrs.get("value")

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False


def submit_form(url, number, address):
    """One visitor: GET the form page, then POST the form as the browser's
    form widget does (multipart, CSRF token, same session). Returns the
    times (POSIX) of the POST's start and answer and the lead created."""
    result = {"number": number, "address": address, "lead": None, "error": None}
    try:
        with requests.Session() as browser:
            browser.headers["User-Agent"] = BROWSER
            page = browser.get(f"{url}{PAGE_URL}", timeout=120)
            form = FormReader()
            form.feed(page.text)
            if page.status_code != 200 or not form.csrf_token:
                raise RuntimeError(f"form page: HTTP {page.status_code}, no CSRF token")
            values = {
                "csrf_token": form.csrf_token,
                "contact_name": f"Visitor {number}",
                "email_from": address,
                "name": f"Quote request {number}",
                "description": "Printed tubes for our spring range, about 5,000.",
            }
            result["post_start"] = time.time()
            answer = browser.post(
                f"{url}/website/form/crm.lead",
                files={name: (None, values[name]) for name in form.fields},
                headers={"Referer": page.url},
                timeout=300,
            )
            result["post_end"] = time.time()
            result["lead"] = answer.json().get("id") if answer.status_code == 200 else None
            if not result["lead"]:
                raise RuntimeError(f"form refused: HTTP {answer.status_code} {answer.text[:200]}")
    except (requests.RequestException, RuntimeError, ValueError) as error:
        result["error"] = str(error)
    return result


def post_forms(url, count, rate, tag):
    """``count`` submissions started at a steady ``rate`` per second from a
    thread pool (a slow answer does not delay the next one)."""
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        futures = []
        for number in range(count):
            time.sleep(max(0.0, started + number / rate - time.monotonic()))
            address = f"live{tag}.{number}@customer.example.com"
            futures.append(pool.submit(submit_form, url, number, address))
        return [future.result() for future in futures]


def latency_phases(db, journey, posts):
    """Per posted form: its lead's creation and its trace's completion (the
    email queued), as stored (whole seconds)."""
    rows = query(
        db,
        """SELECT lead.id, lead.create_date, trace.date_done FROM crm_lead lead
           LEFT JOIN mail_journey_trace trace ON trace.lead_id = lead.id AND trace.journey_id = %s
           WHERE lead.id = ANY(%s)""",
        (journey, [post["lead"] for post in posts if post["lead"]]),
    )
    return {lead: (utc_timestamp(created), utc_timestamp(done)) for lead, created, done in rows}


def latency_figures(posts, arrivals, stored):
    """The delays of each form, matched to its email by recipient address."""
    received = defaultdict(list)
    for arrival in arrivals:
        for address in arrival["to"]:
            received[address.lower()].append(arrival["time"])
    delays = defaultdict(list)
    counts = Counter()
    for post in posts:
        if not post["lead"]:
            counts["refused"] += 1
            continue
        times = received.pop(post["address"].lower(), [])
        counts[{0: "missing", 1: "one_email"}.get(len(times), "more_than_one")] += 1
        created, queued = stored.get(post["lead"], (None, None))
        delays["post_answered"].append(post["post_end"] - post["post_start"])
        if created and queued:
            delays["lead_created_to_queued"].append(queued - created)
        if times:
            delays["post_to_accepted"].append(min(times) - post["post_start"])
            if queued:
                delays["queued_to_accepted"].append(min(times) - queued)
    counts["other_emails"] = sum(len(times) for times in received.values())
    return {name: summary(values) for name, values in delays.items()}, dict(counts)


def run_latency(options):
    """Item 4: forms posted to a server run as ``make demo`` runs it."""
    report = Report("latency")
    shell = OdooShell(options)
    tag = os.getpid()
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(Sink("live-latency-sink"))
        server = OdooServer(options, "live-latency-odoo", options.server_args.split())
        use_sink(shell, sink, server.url)
        journey = shell.run(LATENCY_FIXTURE, url=PAGE_URL)["journey"]
        say(f"starting Odoo ({options.server_args}) on {server.url}, log {server.log_path}")
        stack.enter_context(server)
        say(f"  crons idle after {wait_until_crons_idle(options.db)}s")
        started = time.time()
        say(f"posting {options.forms} forms at {options.rate}/s")
        posts = post_forms(server.url, options.forms, options.rate, tag)
        posted = sum(1 for post in posts if post["lead"])
        say(f"  {posted} forms accepted in {time.time() - started:.0f}s; waiting for the emails")
        sink.wait_for(posted, options.timeout, "welcome emails")
        waited = time.time() - started
        arrivals = sink.arrivals()
        crons = server.cron_log().by_cron(since=started)
    delays, counts = latency_figures(posts, arrivals, latency_phases(options.db, journey, posts))
    errors = Counter(post["error"] for post in posts if post["error"])
    report.data.update(
        forms=options.forms,
        rate=options.rate,
        server_args=options.server_args,
        seconds=round(waited, 1),
        delays=delays,
        counts=counts,
        errors=dict(errors),
        crons=crons,
    )
    latency_report(report, options, delays, counts, errors, crons)
    report.write()
    return counts.get("one_email") == options.forms and not errors


def latency_report(report, options, delays, counts, errors, crons):
    total = delays.get("post_to_accepted", {})
    met = total.get("p95") is not None and total["p95"] <= LATENCY_TARGET_P95
    report.add(
        f"# Live latency: website form to inbox ({report.data['started']})",
        "",
        f"{options.forms} forms at {options.rate}/s; Odoo `{options.server_args}`, "
        "crons on, none run by hand; SMTP sink as the mail server.",
        "",
    )
    labels = {
        "post_to_accepted": "POST sent → email accepted by the sink",
        "post_answered": "POST answered (lead created, enrolled)",
        "lead_created_to_queued": "lead created → email queued (trace done; whole seconds)",
        "queued_to_accepted": "email queued → accepted by the sink (trace date in whole seconds)",
    }
    report.table(
        ["delay (s)", "n", "p50", "p95", "max"],
        [
            [label, row.get("n"), row.get("p50", "-"), row.get("p95", "-"), row.get("max", "-")]
            for name, label in labels.items()
            for row in [delays.get(name, {})]
        ],
    )
    report.table(
        ["check", "value"],
        [
            [
                "forms with exactly one welcome email",
                f"{counts.get('one_email', 0)} / {options.forms}",
            ],
            ["forms without email (missing)", counts.get("missing", 0)],
            ["forms with more than one email", counts.get("more_than_one", 0)],
            ["forms refused", counts.get("refused", 0)],
            ["other emails in the sink", counts.get("other_emails", 0)],
            [f"p95 ≤ {LATENCY_TARGET_P95} s", "yes" if met else "NO"],
        ],
    )
    if errors:
        report.add("Errors: " + "; ".join(f"{error} ({n})" for error, n in errors.items()), "")
    report.cron_table("Cron runs during the measurement (server log)", crons)


# ---------------------------------------------------------------------------
# Scenario servers: one journey, one server against two (issue 21, item 5)
# ---------------------------------------------------------------------------

# N leads (bench/worker.py's fixture: ORM, then SQL copies) and a running
# one-email journey on them, not enrolled yet
SERVERS_FIXTURE = """
import sys
sys.path.insert(0, PARAMS["bench"])
from worker import BODY, SUBJECT, build_leads
tag = build_leads(env, PARAMS["size"])
template = env["mail.template"].create({
    "name": f"Live servers {tag}",
    "model_id": env["ir.model"]._get_id("crm.lead"),
    "subject": SUBJECT,
    "body_html": BODY,
    "use_default_to": True,
})
journey = env["mail.journey"].create({
    "name": f"Live servers {tag}",
    "model": "crm.lead",
    "domain": repr([("tag_ids", "in", [tag])]),
    "step_ids": [(0, 0, {"name": "Email", "action": "email", "mail_template_id": template.id})],
})
journey.action_start()
env.cr.commit()
print("RESULT " + json.dumps({"journey": journey.id, "tag": tag}))
"""

# the enrollment: the addon wakes its executing cron, the crons do the rest
ENROLL = """
import time
journey = env["mail.journey"].browse(PARAMS["journey"])
journey._enroll(env["crm.lead"].search([("tag_ids", "in", [PARAMS["tag"]])]))
env.cr.commit()
print("RESULT " + json.dumps({"committed": time.time()}))
"""


def servers_check(db, fixture, arrivals):
    """Exactly one email per lead of the run, and every trace done."""
    addresses = {
        email.lower()
        for (email,) in query(
            db,
            "SELECT lead.email_from FROM crm_lead lead JOIN crm_tag_rel rel"
            " ON rel.lead_id = lead.id WHERE rel.tag_id = %s",
            (fixture["tag"],),
        )
    }
    per_address = Counter(address.lower() for arrival in arrivals for address in arrival["to"])
    states = dict(
        query(
            db,
            "SELECT state, count(*) FROM mail_journey_trace WHERE journey_id = %s GROUP BY state",
            (fixture["journey"],),
        )
    )
    return {
        "leads": len(addresses),
        "accepted": len(arrivals),
        "distinct_recipients": len(per_address),
        "to_leads": sum(per_address[address] for address in addresses),
        "missing": len(addresses - set(per_address)),
        "twice_or_more": sum(1 for count in per_address.values() if count > 1),
        "trace_states": states,
    }


def servers_run(options, shell, label, count):
    """One run: ``count`` servers on the database, one new journey of
    ``options.emails`` leads; timed from the enrollment until the sink has
    every email."""
    size = options.emails
    say(f"run {label}: {size:,} leads and their journey (not timed)")
    fixture = shell.run(SERVERS_FIXTURE, size=size, bench=str(HERE))
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(Sink(f"live-servers-{label}-sink"))
        servers = [
            OdooServer(options, f"live-servers-{label}-odoo{i + 1}", options.server_args.split())
            for i in range(count)
        ]
        use_sink(shell, sink, servers[0].url)
        for server in servers:
            say(f"  starting Odoo ({options.server_args}) on {server.url}, log {server.log_path}")
            stack.enter_context(server)
        say(f"  crons idle after {wait_until_crons_idle(options.db)}s")
        started = time.time()
        committed = shell.run(ENROLL, **fixture)["committed"]
        say(f"  enrolled in {committed - started:.1f}s; waiting for the sink")
        received = sink.wait_for(size, options.timeout, f"run {label}")
        wall = time.time() - started
        time.sleep(options.linger)  # an email sent twice would arrive now
        arrivals = sink.arrivals()
        crons = {server.name: server.cron_log().by_cron(since=started) for server in servers}
    check = servers_check(options.db, fixture, arrivals)
    check["ok"] = (
        received == size
        and check["accepted"] == check["distinct_recipients"] == check["to_leads"] == size
        and check["trace_states"] == {"done": size}
    )
    return {
        "label": label,
        "servers": count,
        "emails": size,
        "seconds": round(wall, 1),
        "enroll_seconds": round(committed - started, 1),
        "emails_per_second": round(received / wall, 1),
        "check": check,
        "crons": crons,
    }


def run_servers(options):
    """Item 5: run A with one server, run B with two, same size."""
    report = Report("servers")
    shell = OdooShell(options)
    runs = [servers_run(options, shell, "A", 1), servers_run(options, shell, "B", 2)]
    ratio = round(runs[1]["emails_per_second"] / max(runs[0]["emails_per_second"], 0.01), 2)
    report.data.update(server_args=options.server_args, runs=runs, ratio_b_a=ratio)
    servers_report(report, options, runs, ratio)
    report.write()
    return all(run["check"]["ok"] for run in runs)


def servers_report(report, options, runs, ratio):
    report.add(
        f"# Live servers: one journey, one Odoo server against two ({report.data['started']})",
        "",
        f"{options.emails:,} emails per run; each server `{options.server_args}` on the same "
        f"database; timed from the enrollment until the SMTP sink has every email. "
        f"Machine: {os.cpu_count()} cores, PostgreSQL on the same host.",
        "",
    )
    report.table(
        ["run", "servers", "emails accepted", "seconds", "enrollment s", "emails/s", "checks"],
        [
            [
                *(run["label"], run["servers"], run["check"]["accepted"], run["seconds"]),
                *(run["enroll_seconds"], run["emails_per_second"]),
                "ok" if run["check"]["ok"] else "FAILED",
            ]
            for run in runs
        ],
    )
    report.add(f"B/A (emails per second): **{ratio}**", "")
    report.table(
        [
            "run",
            "leads",
            "distinct recipients",
            "to the leads",
            "missing",
            "twice or more",
            "traces",
        ],
        [
            [
                run["label"],
                *(run["check"][key] for key in ("leads", "distinct_recipients", "to_leads")),
                *(run["check"][key] for key in ("missing", "twice_or_more")),
                counts_text(run["check"]["trace_states"]),
            ]
            for run in runs
        ],
    )
    for run in runs:
        for server, crons in run["crons"].items():
            report.cron_table(f"Run {run['label']}, {server}: cron runs", crons)


# ---------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    scenarios = parser.add_subparsers(dest="scenario", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", required=True)
    common.add_argument("--addons-path", required=True)
    common.add_argument(
        "--odoo-src", default=os.environ.get("ODOO_SRC", str(Path.home() / ".cache/odoo/19.0"))
    )
    common.add_argument("--timeout", type=float, default=600, help="seconds to wait for the sink")
    latency = scenarios.add_parser("latency", parents=[common], help=run_latency.__doc__)
    latency.add_argument("--forms", type=int, default=200)
    latency.add_argument("--rate", type=float, default=1.0, help="forms posted per second")
    latency.add_argument(
        "--server-args", default="--max-cron-threads=1", help="as make demo runs Odoo"
    )
    servers = scenarios.add_parser("servers", parents=[common], help=run_servers.__doc__)
    servers.add_argument("--emails", type=int, default=50000)
    servers.add_argument("--server-args", default="--workers=2 --max-cron-threads=2")
    servers.add_argument(
        "--linger", type=float, default=30, help="seconds to wait for late emails after N"
    )
    tracking = scenarios.add_parser("tracking", parents=[common], help="open and click routes")
    tracking.add_argument("--size", type=int, default=1000, help="leads (emails per path)")
    tracking.add_argument("--rates", default="50,100,150,200", help="offered requests per second")
    tracking.add_argument("--seconds", type=float, default=30, help="per rate and path")
    tracking.add_argument("--rounds", type=int, default=2, help="per rate, paths alternated")
    tracking.add_argument("--clients", type=int, default=16, help="requests in flight at most")
    tracking.add_argument("--server-args", default="--workers=2 --max-cron-threads=1")
    return parser.parse_args()


def main():
    options = parse_args()
    # a TERM (the calling script's cleanup) unwinds like Ctrl-C: every
    # process started here is stopped on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if options.scenario == "tracking":
        from live_tracking import run_tracking

        run = run_tracking
    else:
        run = {"latency": run_latency, "servers": run_servers}[options.scenario]
    sys.exit(0 if run(options) else 1)


if __name__ == "__main__":
    main()
