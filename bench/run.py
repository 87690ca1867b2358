"""The journey cron against Odoo's mass mailing and a raw SQL floor, in one run
on one database (prepared by ``make bench``, which installs the addon and
mass_mailing in it).

For each size N: N leads (not timed), then the three paths of
``bench/worker.py``, each in a fresh process. Reports emails queued per
second, SQL queries per email, peak RSS, the ratios addon/mass_mailing and
addon/SQL, and the scaling exponent of each path (slope of log time on log N).
Writes bench/results.json, bench/results/results.md and
bench/results/throughput.png.

    python bench/run.py --db DB --addons-path PATH --sizes 1000,10000,50000
"""

import argparse
import json
import math
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg2

HERE = Path(__file__).resolve().parent
PATHS = ("addon", "mass_mailing", "sql")
LABELS = {
    "addon": "a. journey cron (this addon)",
    "mass_mailing": "b. Odoo mass mailing",
    "sql": "c. SQL floor (COPY)",
}
POLL_SECONDS = 10
SQL_STATS_PATHS = ("addon", "mass_mailing")
# the targets (benchmark figures, not unit tests)
TARGET_RATIO = {10000: 1.0, 50000: 1.5}
TARGET_QUERIES = 6
TARGET_RSS_MB = 1024
TARGET_EXPONENT = 1.1


def say(message):
    print(message, flush=True)


def max_mail_id(db):
    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
        cr.execute("SELECT coalesce(max(id), 0) FROM mail_mail")
        return cr.fetchone()[0]


def watch_progress(db, label, first_mail_id, size, done):
    """Print how many emails are queued (committed) so far, until ``done``."""
    started = time.monotonic()
    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    try:
        while not done.wait(POLL_SECONDS):
            with conn.cursor() as cr:
                cr.execute("SELECT count(*) FROM mail_mail WHERE id > %s", [first_mail_id])
                queued = cr.fetchone()[0]
            say(f"  {label}: {queued:,} / {size:,} queued ({time.monotonic() - started:.0f}s)")
    finally:
        conn.close()


def run_worker(args, step, size, tag=None, extra=()):
    """Run one step in a fresh process, echo its output, return its result."""
    command = [
        sys.executable,
        str(HERE / "worker.py"),
        "--db",
        args.db,
        "--addons-path",
        args.addons_path,
        "--step",
        step,
        "--size",
        str(size),
    ]
    if tag:
        command += ["--tag", str(tag)]
    command += list(extra)
    if step in SQL_STATS_PATHS:
        # each statement's time, as the worker measured it (no pg_stat_statements)
        (Path(args.output_dir) / "results").mkdir(parents=True, exist_ok=True)
        command += [
            "--sql-stats",
            str(
                Path(args.output_dir)
                / "results"
                / f"sql-{step}-{size}{getattr(args, 'sql_suffix', '')}.json"
            ),
        ]
    done = threading.Event()
    watcher = None
    if step in PATHS:
        watcher = threading.Thread(
            target=watch_progress, args=(args.db, step, max_mail_id(args.db), size, done)
        )
        watcher.start()
    result = None
    try:
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
            for line in process.stdout:
                if line.startswith("RESULT "):
                    result = json.loads(line[len("RESULT ") :])
                else:
                    say(line.rstrip())
    finally:
        done.set()
        if watcher:
            watcher.join()
    if process.returncode or result is None:
        sys.exit(f"bench: step {step} (N={size}) failed with exit code {process.returncode}")
    return result


def exponent(points):
    """Least-squares slope of log(seconds) on log(N); None below two sizes."""
    if len(points) < 2:
        return None
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(seconds) for _, seconds in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    variance = sum((x - mean_x) ** 2 for x in xs)
    return round(covariance / variance, 3)


def summarize(runs):
    by_size = {}
    for run in runs:
        by_size.setdefault(run["n"], {})[run["path"]] = run
    ratios = []
    for size, paths in sorted(by_size.items()):
        addon, mass_mailing = paths["addon"], paths["mass_mailing"]
        ratios.append(
            {
                "n": size,
                "addon_vs_mass_mailing": round(
                    addon["emails_per_second"] / mass_mailing["emails_per_second"], 2
                ),
                "addon_vs_sql": round(
                    addon["emails_per_second"] / paths["sql"]["emails_per_second"], 3
                ),
                "addon_vs_mass_mailing_cpu": round(
                    addon["emails_per_cpu_second"] / mass_mailing["emails_per_cpu_second"], 2
                ),
            }
        )
    exponents = {
        path: exponent([(run["n"], run["seconds"]) for run in runs if run["path"] == path])
        for path in PATHS
    }
    return ratios, exponents


def check_targets(runs, ratios, exponents):
    checks = [
        (
            f"{run['path']} queued exactly N={run['n']:,}, one per lead",
            run["emails"],
            run["exactly_n"],
        )
        for run in runs
    ]
    for ratio in ratios:
        if ratio["n"] in TARGET_RATIO:
            target = TARGET_RATIO[ratio["n"]]
            checks.append(
                (
                    f"addon/mass_mailing at N={ratio['n']:,} >= {target}",
                    ratio["addon_vs_mass_mailing"],
                    ratio["addon_vs_mass_mailing"] >= target,
                )
            )
    for run in (run for run in runs if run["path"] == "addon"):
        checks.append(
            (
                f"addon queries/email at N={run['n']:,} <= {TARGET_QUERIES}",
                run["queries_per_email"],
                run["queries_per_email"] <= TARGET_QUERIES,
            )
        )
        if run["n"] >= 50000:
            checks.append(
                (
                    f"addon peak RSS at N={run['n']:,} < {TARGET_RSS_MB} MB",
                    run["peak_rss_mb"],
                    run["peak_rss_mb"] < TARGET_RSS_MB,
                )
            )
    if exponents["addon"] is not None:
        checks.append(
            (
                f"addon scaling exponent <= {TARGET_EXPONENT}",
                exponents["addon"],
                exponents["addon"] <= TARGET_EXPONENT,
            )
        )
    return [{"target": name, "value": value, "met": met} for name, value, met in checks]


def markdown(runs, ratios, exponents, checks):
    lines = [
        "| N | path | emails | seconds | emails/s | Odoo CPU s | emails/CPU s "
        "| SQL queries/email | peak RSS (MB) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run['n']:,} | {LABELS[run['path']]} | {run['emails']:,} | {run['seconds']} "
            f"| {run['emails_per_second']:,} | {run['cpu_seconds']} "
            f"| {run['emails_per_cpu_second']:,} | {run['queries_per_email']} "
            f"| {run['peak_rss_mb']} |"
        )
    lines += [
        "",
        "| N | a/b (emails/s) | a/c (emails/s) | a/b (emails per Odoo CPU s) |",
        "|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {ratio['n']:,} | {ratio['addon_vs_mass_mailing']} | {ratio['addon_vs_sql']} "
        f"| {ratio['addon_vs_mass_mailing_cpu']} |"
        for ratio in ratios
    ]
    lines += ["", "Scaling exponent (slope of log time on log N): "]
    lines[-1] += ", ".join(f"{path} {value}" for path, value in exponents.items())
    lines += ["", "| target | measured | met |", "|---|---:|---|"]
    lines += [
        f"| {check['target']} | {check['value']} | {'yes' if check['met'] else 'NO'} |"
        for check in checks
    ]
    return "\n".join(lines) + "\n"


def draw_chart(runs, path):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, 4.5), dpi=110)
    for name in PATHS:
        points = sorted((run["n"], run["emails_per_second"]) for run in runs if run["path"] == name)
        axes.plot(*zip(*points, strict=True), marker="o", label=LABELS[name])
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("N (leads, one email each)")
    axes.set_ylabel("emails queued per second")
    axes.set_title("Throughput by N")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_end_to_end(args, path, size, tag):
    """One path end to end: the project's SMTP sink started on a free port
    with its own folder, the worker queues and sends to it."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix=f"bench-sink-{path}-") as folder:
        sink = subprocess.Popen(
            [
                sys.executable,
                str(HERE.parent / "scripts" / "smtp_sink.py"),
                "--port",
                str(port),
                "--folder",
                folder,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(2)  # listening
            extra = ["--smtp-port", str(port), "--smtp-folder", folder]
            if path == "addon":
                extra += ["--senders", str(args.senders), "--executors", str(args.executors)]
            return run_worker(args, path, size, tag, extra)
        finally:
            sink.terminate()
            sink.wait()


def end_to_end(args, sizes, stamp):
    """Item 1 of issue 21: enrollment, queuing and sending until the SMTP
    sink accepted every email, addon and mass mailing side by side."""
    runs = []
    for size in sizes:
        say(f"N={size:,}: building the leads (not timed)")
        tag = run_worker(args, "leads", size)["tag"]
        for path in ("addon", "mass_mailing"):
            say(f"N={size:,}: {LABELS[path]}, end to end")
            result = run_end_to_end(args, path, size, tag)
            phases = result["phases"]
            send = phases["send"]
            queued = phases["queued"]
            run = {
                "n": size,
                "path": path,
                "seconds": result["seconds"],
                "cpu_seconds": result["cpu_seconds"],
                "enroll_seconds": phases.get("enroll", {}).get("seconds", 0),
                "queue_seconds": (phases.get("cron") or phases.get("queue"))["seconds"],
                "send_seconds": send["seconds"],
                "queue_runs": send["queue_runs"],
                "senders": send.get("senders", 1),
                "executors": (phases.get("cron") or {}).get("executors", 1),
                "queued": queued["queued"],
                "queued_ok": queued["queued"] == queued["queued_to_leads"] == size
                and queued["distinct_recipients"] == size,
                "accepted": send["accepted"],
                "accepted_recipients": send["distinct_recipients"],
                "peak_rss_mb": result["peak_rss_mb"],
                "phases": phases,
            }
            run["to_queue_seconds"] = round(run["enroll_seconds"] + run["queue_seconds"], 2)
            run["accepted_ok"] = run["accepted"] == run["accepted_recipients"] == size
            runs.append(run)
            say(
                f"N={size:,} {path}: enroll {run['enroll_seconds']}s, queue "
                f"{run['queue_seconds']}s, send {run['send_seconds']}s; {run['accepted']:,} "
                f"accepted by the sink ({run['accepted_recipients']:,} recipients)"
            )
    ratios = []
    for size in sizes:
        addon, mass = (
            next(run for run in runs if run["n"] == size and run["path"] == path)
            for path in ("addon", "mass_mailing")
        )
        ratios.append(
            {
                "n": size,
                "to_queue": round(mass["to_queue_seconds"] / addon["to_queue_seconds"], 2),
                "sending": round(mass["send_seconds"] / addon["send_seconds"], 2),
                "end_to_end": round(mass["seconds"] / addon["seconds"], 2),
            }
        )
    lines = [
        "| N | path | executors | senders | enrollment s | queuing s | sending s | total s "
        "| emails/s end to end | queued exactly N | accepted by the sink | peak RSS (MB) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run['n']:,} | {LABELS[run['path']]} | {run['executors']} | {run['senders']} "
            f"| {run['enroll_seconds']} "
            f"| {run['queue_seconds']} | {run['send_seconds']} | {run['seconds']} "
            f"| {round(run['n'] / run['seconds'], 1)} | {'yes' if run['queued_ok'] else 'NO'} "
            f"| {run['accepted']:,} ({'all, one per address' if run['accepted_ok'] else 'NO'}) "
            f"| {run['peak_rss_mb']} |"
        )
    lines += [
        "",
        "| N | a/b to queue (enrollment + queuing) | a/b sending | a/b end to end |",
        "|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {ratio['n']:,} | {ratio['to_queue']} | {ratio['sending']} | {ratio['end_to_end']} |"
        for ratio in ratios
    ]
    write_results(args, f"e2e-{stamp}", {"runs": runs, "ratios": ratios}, lines)


def growth(args, sizes, stamp):
    """Item 2 of issue 21: the addon alone (queuing), enrollment rate and
    time per email as N grows."""
    runs = []
    for size in sizes:
        say(f"N={size:,}: building the leads (not timed)")
        tag = run_worker(args, "leads", size)["tag"]
        result = run_worker(args, "addon", size, tag)
        phases = result["phases"]
        runs.append(
            {
                "n": size,
                "queued": result["queued"],
                "exactly_n": result["queued"] == result["distinct_records"] == size,
                "seconds": result["seconds"],
                "ms_per_email": round(1000 * result["seconds"] / size, 2),
                "cpu_ms_per_email": round(1000 * result["cpu_seconds"] / size, 2),
                "enroll_seconds": phases["enroll"]["seconds"],
                "enrolled_per_second": round(size / phases["enroll"]["seconds"]),
                "cron_seconds": phases["cron"]["seconds"],
                "peak_rss_mb": result["peak_rss_mb"],
                "sql_seconds_by_phase": result.get("sql_seconds_by_phase"),
            }
        )
        say(f"N={size:,}: {runs[-1]}")
    slope = exponent([(run["n"], run["seconds"]) for run in runs])
    cron_slope = exponent([(run["n"], run["cron_seconds"]) for run in runs])
    lines = [
        "| N | queued exactly N | seconds | ms/email | Odoo CPU ms/email | enrollment s "
        "| enrolled/s | cron s | peak RSS (MB) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {run['n']:,} | {'yes' if run['exactly_n'] else 'NO'} | {run['seconds']} "
        f"| {run['ms_per_email']} | {run['cpu_ms_per_email']} | {run['enroll_seconds']} "
        f"| {run['enrolled_per_second']:,} | {run['cron_seconds']} | {run['peak_rss_mb']} |"
        for run in runs
    ]
    lines += [
        "",
        f"Scaling exponent (slope of log time on log N): {slope}; cron only: {cron_slope}",
    ]
    write_results(
        args,
        f"growth-{stamp}",
        {"runs": runs, "exponent": slope, "cron_exponent": cron_slope},
        lines,
    )


def million(args, size, stamp):
    """Item 3 of issue 21: call times and bytes per row with a million
    enrollments."""
    result = run_worker(args, "million", size)
    lines = [
        "| call (each in a transaction rolled back) | seconds per call (5 calls) |",
        "|---|---|",
        f"| due-trace lock, 500 (`_lock_due`) | {result['lock_due_500_seconds']} |",
        f"| idle-enrollment check (`_complete_idle`) | {result['complete_idle_seconds']} |",
        f"| due count (`_count_due`) | {result['count_due_seconds']} |",
        "",
        "| table | rows | table + indexes (MB) | of which indexes (MB) | bytes per row |",
        "|---|---:|---:|---:|---:|",
    ]
    for table in ("enrollment", "trace"):
        figures = result[table]
        lines.append(
            f"| mail_journey_{table} | {figures['rows']:,} "
            f"| {round(figures['total_bytes'] / 2**20, 1)} "
            f"| {round(figures['index_bytes'] / 2**20, 1)} | {figures['bytes_per_row']} |"
        )
    lines += [
        "",
        "Due-trace lock while the due traces are worked off by 500 (no VACUUM between):",
        "",
        "| traces done in this run | lock seconds |",
        "|---:|---:|",
    ]
    lines += [
        f"| {point['done']:,} | {point['seconds']} |"
        for point in result["lock_due_while_working_off"]
    ]
    lines += [
        "",
        f"Worker RSS: {result['rss_mb_before_calls']} MB before the calls, "
        f"{result['rss_mb_after_calls']} MB after; peak {result['peak_rss_mb']} MB.",
    ]
    write_results(args, f"million-{stamp}", result, lines)


def write_results(args, name, data, lines):
    folder = Path(args.output_dir) / "results"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
    (folder / f"{name}.md").write_text("\n".join(lines) + "\n")
    say("\n" + "\n".join(lines))
    say(f"written: {folder}/{name}.json and .md")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--output-dir", default=str(HERE), help="where results are written")
    parser.add_argument(
        "--mode",
        choices=["queue", "e2e", "growth", "million"],
        default="queue",
        help="queue: the three paths until queued (default); e2e: addon and mass mailing "
        "until the SMTP sink accepted every email; growth: the addon alone; million: "
        "call times and sizes with --sizes enrollments",
    )
    parser.add_argument(
        "--senders",
        type=int,
        default=2,
        help="e2e: journey senders side by side for the addon (1: Odoo's queue loop, "
        "as mass mailing sends)",
    )
    parser.add_argument(
        "--executors",
        type=int,
        default=2,
        help="e2e: journey executors side by side for the addon (as many as the executing "
        "crons it ships)",
    )
    args = parser.parse_args()
    output = Path(args.output_dir)
    stamp = time.strftime("%Y%m%d-%H%M")
    # the SQL statistics of these modes never replace those of a full run
    args.sql_suffix = "" if args.mode == "queue" else f"-{args.mode}-{stamp}"
    if args.mode != "queue":
        sizes = [int(size) for size in args.sizes.split(",")]
        if args.mode == "e2e":
            end_to_end(args, sizes, stamp)
        elif args.mode == "growth":
            growth(args, sizes, stamp)
        else:
            million(args, sizes[0], stamp)
        return

    runs = []
    sizes = [int(size) for size in args.sizes.split(",")]
    for size in sizes:
        say(f"N={size:,}: building the leads (not timed)")
        tag = run_worker(args, "leads", size)["tag"]
        for path in PATHS:
            say(f"N={size:,}: {LABELS[path]}")
            result = run_worker(args, path, size, tag)
            emails = result["queued"]
            ok = emails == result["queued_to_leads"] == result["distinct_records"] == size and (
                result["distinct_recipients"] == size
            )
            run = {
                "n": size,
                "path": path,
                "emails": emails,
                "seconds": result["seconds"],
                "emails_per_second": round(emails / result["seconds"], 1),
                # this process only (not PostgreSQL): steadier on a shared machine
                "cpu_seconds": result["cpu_seconds"],
                "emails_per_cpu_second": round(emails / max(result["cpu_seconds"], 0.01), 1),
                "queries_per_email": round(result["queries"] / max(emails, 1), 2),
                "peak_rss_mb": result["peak_rss_mb"],
                "distinct_records": result["distinct_records"],
                "distinct_recipients": result["distinct_recipients"],
                "exactly_n": ok,
            }
            # path a: wall, CPU and RSS of the enrollment and of the cron;
            # SQL seconds per phase (as timed by the worker)
            for key in ("phases", "sql_seconds_by_phase"):
                if key in result:
                    run[key] = result[key]
            runs.append(run)
            say(
                f"N={size:,} {path}: {emails:,} emails in {run['seconds']}s, "
                f"{run['emails_per_second']} emails/s, {run['queries_per_email']} queries/email, "
                f"peak RSS {run['peak_rss_mb']} MB"
            )
            if not ok:
                say(
                    f"  WARNING: {path} did not queue exactly {size:,} emails, one per lead: {result}"
                )

    ratios, exponents = summarize(runs)
    checks = check_targets(runs, ratios, exponents)
    (output / "results").mkdir(parents=True, exist_ok=True)
    (output / "results.json").write_text(
        json.dumps(
            {"runs": runs, "ratios": ratios, "scaling_exponents": exponents, "targets": checks},
            indent=2,
        )
        + "\n"
    )
    table = markdown(runs, ratios, exponents, checks)
    (output / "results" / "results.md").write_text(table)
    draw_chart(runs, output / "results" / "throughput.png")
    say("\n" + table)
    say(f"written: {output}/results.json, results/results.md, results/throughput.png")


if __name__ == "__main__":
    main()
