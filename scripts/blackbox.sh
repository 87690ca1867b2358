#!/usr/bin/env bash
# make blackbox: the black-box tests of tests/ against a real Odoo. Installs
# this project's addons (no test mode) in a throw-away database cloned from
# the test template, starts the SMTP sink and Odoo on free ports, runs
# tests/ with unittest, then stops everything and drops the database.
source "$(dirname "$0")/lib.sh"

ensure_venv
ensure_odoo
ensure_postgres
ensure_template

DB="mja_blackbox_$$"
HTTP_PORT="$(free_port)"
SMTP_PORT="$(free_port)"
MAIL_DIR="$(mktemp -d "$VAR/blackbox-mail.XXXXXX")"
LOG="$VAR/blackbox.log"
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    drop_db "$DB"
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
# no cron thread: the tests trigger the crons they need, when they need them; the
# JSON-RPC deprecation warning of Odoo 19 is muted (the tests use that API on purpose)
(exec "$VENV/bin/python" "$ODOO_SRC/odoo-bin" --addons-path="$ADDONS_PATH" -d "$DB" --db-filter="^$DB\$" \
    --http-interface=127.0.0.1 --http-port="$HTTP_PORT" --max-cron-threads=0 --log-level=warn \
    --log-handler=odoo.addons.rpc.controllers.jsonrpc:ERROR) >>"$LOG" 2>&1 &
PIDS+=($!)

say "Odoo on http://127.0.0.1:$HTTP_PORT, SMTP sink on 127.0.0.1:$SMTP_PORT: running tests/"
ODOO_URL="http://127.0.0.1:$HTTP_PORT" ODOO_DB="$DB" SMTP_PORT="$SMTP_PORT" MAIL_DIR="$MAIL_DIR" \
    "$VENV/bin/python" -m unittest discover -s "$ROOT/tests" -t "$ROOT" -v
