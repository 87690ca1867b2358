#!/usr/bin/env bash
# make test-reliability: the reliability suite of tests/ (files reliability_*.py)
# against a real multi-process Odoo (--workers=2 --max-cron-threads=2).
# Installs this project's addons (no test mode) in a throw-away database cloned
# from the test template, starts the SMTP sink and Odoo on free ports, runs the
# suite with unittest (RELIABILITY_TESTS=reliability_access.py runs one file),
# then stops everything and drops the databases. Takes
# about 15 minutes: longer than the rest of `make test`, hence a target of its own.
source "$(dirname "$0")/lib.sh"

ensure_venv
ensure_odoo
ensure_postgres
ensure_template

DB="mja_reliability_$$"
HTTP_PORT="$(free_port)"
SMTP_PORT="$(free_port)"
MAIL_DIR="$(mktemp -d "$VAR/reliability-mail.XXXXXX")"
LOG="$VAR/reliability.log"
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    drop_db "$DB"
    # the databases the lifecycle test cloned for itself
    for db in $(psql -d postgres -Atc "select datname from pg_database where datname like '${DB}_%'"); do
        drop_db "$db"
    done
    rm -rf "$MAIL_DIR"
}
trap cleanup EXIT

say "Installing $ADDONS into $DB (log: $LOG)"
clone_template "$DB"
odoo -d "$DB" -i "$(echo "$ADDONS" | tr ' ' ',')" --stop-after-init --no-http \
    --log-level=warn --max-cron-threads=0 >"$LOG" 2>&1 || { tail -30 "$LOG"; die "installing the addons failed"; }

# started with exec so that $! is the server itself, which cleanup stops
(exec "$VENV/bin/python" "$ROOT/scripts/smtp_sink.py" --port "$SMTP_PORT" --folder "$MAIL_DIR") >>"$LOG" 2>&1 &
PIDS+=($!)
# two HTTP workers and two cron workers, as in production; the JSON-RPC
# deprecation warning of Odoo 19 is muted (the tests use that API on purpose)
(exec "$VENV/bin/python" "$ODOO_SRC/odoo-bin" --addons-path="$ADDONS_PATH" -d "$DB" --db-filter="^$DB\$" \
    --http-interface=127.0.0.1 --http-port="$HTTP_PORT" --workers=2 --max-cron-threads=2 \
    --limit-time-real=600 --limit-time-cpu=600 --log-level=warn \
    --log-handler=odoo.addons.rpc.controllers.jsonrpc:ERROR) >>"$LOG" 2>&1 &
PIDS+=($!)

say "Odoo (2 workers, 2 cron workers) on http://127.0.0.1:$HTTP_PORT, SMTP sink on 127.0.0.1:$SMTP_PORT"
ODOO_URL="http://127.0.0.1:$HTTP_PORT" ODOO_DB="$DB" SMTP_PORT="$SMTP_PORT" MAIL_DIR="$MAIL_DIR" \
    ODOO_PYTHON="$VENV/bin/python" ODOO_SRC="$ODOO_SRC" ADDONS_PATH="$ADDONS_PATH" \
    ODOO_TEMPLATE="$TEMPLATE" ODOO_LOG="$LOG" \
    "$VENV/bin/python" -m unittest discover -s "$ROOT/tests" -t "$ROOT" -p "${RELIABILITY_TESTS:-reliability_*.py}" -v
