"""Read an Odoo test log and decide: print failures and one count line.

Fails on any failed or erroring test, on any ERROR/CRITICAL log line, on
any WARNING logged by this project's modules, and when no test ran.
"""

import re
import sys

LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) \S+ (?P<logger>[\w.]+): (?P<msg>.*)"
)
SUMMARY = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")


def main(log_path, odoo_rc, uninstall_ok, *modules):
    ours = tuple(f"odoo.addons.{name}" for name in modules)
    problems, failed, errors, total = [], 0, 0, 0
    current = None
    with open(log_path, encoding="utf-8", errors="replace") as log:
        for raw in log:
            match = LINE.match(raw)
            if not match:
                if current is not None and len(current) < 60:
                    current.append(raw.rstrip())
                continue
            current = None
            level, logger, msg = match["level"], match["logger"], match["msg"]
            summary = SUMMARY.search(msg)
            if summary:
                failed, errors, total = (int(x) for x in summary.groups())
                continue
            bad = level in ("ERROR", "CRITICAL") or (level == "WARNING" and logger.startswith(ours))
            if bad:
                current = [raw.rstrip()]
                problems.append(current)
    for block in problems:
        print("\n".join(block))
    unexplained = int(odoo_rc) != 0 and not (failed or errors or problems)
    log_failures = len(problems) if not (failed or errors) else 0
    nb_failed = failed + errors + (0 if uninstall_ok == "1" else 1) + log_failures + unexplained
    nb_passed = total - failed - errors + (1 if uninstall_ok == "1" else 0)
    if uninstall_ok != "1":
        print("uninstall check failed: see the end of", log_path)
    if not total:
        print("no test ran: see", log_path)
        nb_failed = max(nb_failed, 1)
    print(f"{nb_passed} passed, {nb_failed} failed")
    return 1 if nb_failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
