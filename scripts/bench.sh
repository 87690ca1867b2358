#!/usr/bin/env bash
# make bench [N=1000,10000]: journey cron throughput on a throw-away database.
source "$(dirname "$0")/lib.sh"
ensure_venv
ensure_odoo
ensure_postgres
SIZES="${1:-1000,10000}"
DB="mja_bench_$$"
trap 'dropdb --if-exists "$DB"' EXIT
say "Preparing $DB"
createdb "$DB"
odoo -d "$DB" -i "$(echo "$ADDONS" | tr ' ' ',')" --stop-after-init --no-http --log-level=warn
cd "$ROOT"
PYTHONPATH="$ODOO_SRC" "$VENV/bin/python" bench/journey_cron.py --db "$DB" \
    --addons-path "$ADDONS_PATH" --sizes "$SIZES"
