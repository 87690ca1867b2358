#!/usr/bin/env bash
# make blackbox: the black-box tests of tests/ (files test_*.py) against a real
# Odoo (see run_blackbox in lib.sh). No cron worker: the tests trigger the
# crons they need, when they need them.
source "$(dirname "$0")/lib.sh"

run_blackbox blackbox "test*.py" --max-cron-threads=0
