#!/usr/bin/env bash
# make demo: a database journey_demo with demo data (crm, sale_management,
# website_crm and this project's addons), a local SMTP sink writing every
# mail to var/mail/*.eml, and Odoo on http://localhost:8069 with crons.
# A new database gets 90 days of history first (scripts/demo_history.py: the
# engine runs day by day with a moved clock, its emails go to var/mail/history).
# DEMO_BUILD_ONLY=1 stops after building the database (no server).
source "$(dirname "$0")/lib.sh"

ensure_venv
ensure_odoo
ensure_postgres

DB="${DEMO_DB:-journey_demo}"
HTTP_PORT="${HTTP_PORT:-8069}"
SMTP_PORT="${SMTP_PORT:-2525}"
MAIL_DIR="$VAR/mail"
SINK_PID=
# the sink dies of the TERM it is sent: its status (143) is not a failure
stop_sink() {
    [ -z "$SINK_PID" ] && return 0
    kill "$SINK_PID" 2>/dev/null || true
    wait "$SINK_PID" 2>/dev/null || true
    SINK_PID=
}
# start_sink FOLDER: the SMTP sink on $SMTP_PORT, writing to FOLDER
start_sink() {
    mkdir -p "$1"
    # started with exec so that $! is the sink itself, which stop_sink stops
    (exec "$VENV/bin/python" "$ROOT/scripts/smtp_sink.py" --port "$SMTP_PORT" --folder "$1") &
    SINK_PID=$!
}
trap stop_sink EXIT INT TERM
MODULES="crm,sale_management,website_crm,$(echo "$ADDONS" | tr ' ' ',')"

if ! db_exists "$DB"; then
    say "Creating $DB with demo data ($MODULES): about 3 minutes, once"
    odoo -d "$DB" -i "$MODULES" --with-demo --stop-after-init --no-http \
        --log-level=warn --max-cron-threads=0 --smtp=127.0.0.1 --smtp-port="$SMTP_PORT"
    odoo shell -d "$DB" --no-http --log-level=warn <<PY
env['ir.mail_server'].search([]).write({'active': False})
env['ir.mail_server'].create({
    'name': 'Local SMTP sink (make demo)',
    'smtp_host': '127.0.0.1',
    'smtp_port': $SMTP_PORT,
    'smtp_encryption': 'none',
})
env['ir.config_parameter'].set_param('web.base.url', 'http://localhost:$HTTP_PORT')
env.cr.commit()
PY
    say "Living 90 days of journeys in $DB (scripts/demo_history.py): a few minutes, once"
    start_sink "$MAIL_DIR/history" >"$VAR/demo_history_sink.log" 2>&1
    # thousands of small commits: not waiting for each to reach the disk makes
    # the build several times faster (a crash would only lose the demo database)
    psql -d "$DB" -qc "ALTER DATABASE \"$DB\" SET synchronous_commit = off"
    if ! odoo shell -d "$DB" --no-http --log-level=warn --max-cron-threads=0 <"$ROOT/scripts/demo_history.py"; then
        drop_db "$DB"
        die "building the demo history failed: $DB dropped, run make demo again once fixed"
    fi
    psql -d "$DB" -qc "ALTER DATABASE \"$DB\" RESET synchronous_commit"
    stop_sink
else
    say "Reusing database $DB (dropdb $DB to start over); updating the addons"
    odoo -d "$DB" -u "$(echo "$ADDONS" | tr ' ' ',')" --stop-after-init --no-http --log-level=warn
fi

if [ -n "${DEMO_BUILD_ONLY:-}" ]; then
    say "$DB is built (DEMO_BUILD_ONLY): not starting Odoo"
    exit 0
fi

start_sink "$MAIL_DIR"

cat <<TXT

  Odoo:   http://localhost:$HTTP_PORT   (login admin, password admin)
  Mails:  every email Odoo sends lands in $MAIL_DIR/*.eml
  Stop:   Ctrl-C (stops Odoo and the SMTP sink)

TXT
odoo -d "$DB" --db-filter="^$DB\$" --http-interface=127.0.0.1 --http-port="$HTTP_PORT" --max-cron-threads=1 \
    --smtp=127.0.0.1 --smtp-port="$SMTP_PORT" --log-level=info
