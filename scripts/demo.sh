#!/usr/bin/env bash
# make demo: a database journey_demo with demo data (crm, sale_management,
# website_crm and this project's addons), a local SMTP sink writing every
# mail to var/mail/*.eml, and Odoo on http://localhost:8069 with crons.
source "$(dirname "$0")/lib.sh"

ensure_venv
ensure_odoo
ensure_postgres

DB="${DEMO_DB:-journey_demo}"
HTTP_PORT="${HTTP_PORT:-8069}"
SMTP_PORT="${SMTP_PORT:-2525}"
MAIL_DIR="$VAR/mail"
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
else
    say "Reusing database $DB (dropdb $DB to start over); updating the addons"
    odoo -d "$DB" -u "$(echo "$ADDONS" | tr ' ' ',')" --stop-after-init --no-http --log-level=warn
fi

mkdir -p "$MAIL_DIR"
"$VENV/bin/python" "$ROOT/scripts/smtp_sink.py" --port "$SMTP_PORT" --folder "$MAIL_DIR" &
SINK_PID=$!
trap 'kill $SINK_PID 2>/dev/null; wait $SINK_PID 2>/dev/null' EXIT INT TERM

cat <<TXT

  Odoo:   http://localhost:$HTTP_PORT   (login admin, password admin)
  Mails:  every email Odoo sends lands in $MAIL_DIR/*.eml
  Stop:   Ctrl-C (stops Odoo and the SMTP sink)

TXT
odoo -d "$DB" --db-filter="^$DB\$" --http-interface=127.0.0.1 --http-port="$HTTP_PORT" --max-cron-threads=1 \
    --smtp=127.0.0.1 --smtp-port="$SMTP_PORT" --log-level=info
