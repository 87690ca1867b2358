#!/usr/bin/env bash
# make test-reliability: the reliability suite of tests/ (files reliability_*.py)
# against a real multi-process Odoo (see run_blackbox in lib.sh): two HTTP
# workers and two cron workers, as in production. RELIABILITY_TESTS=
# reliability_access.py runs one file. Takes about 15 minutes: longer than the
# rest of `make test`, hence a target of its own.
source "$(dirname "$0")/lib.sh"

run_blackbox reliability "${RELIABILITY_TESTS:-reliability_*.py}" \
    --workers=2 --max-cron-threads=2 --limit-time-real=600 --limit-time-cpu=600
