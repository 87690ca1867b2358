#!/usr/bin/env bash
# make bench-live SCENARIO=latency|tracking|servers [ARGS="--forms 20 --rate 2"] [KEEP=1]:
# benchmarks against running Odoo servers with their crons on (bench/live.py).
# A throw-away database mja_live_<pid> gets this project's addons, website_crm
# and mass_mailing (no demo data; the website comes with website_crm);
# bench/live.py starts the SMTP sink and the Odoo servers it needs, and sets
# the outgoing mail server and web.base.url (the servers' ports are its own).
# The database is dropped at the end, failed runs included, unless KEEP=1.
# Its settings are left as they are (no synchronous_commit = off): production's.
source "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] || die "usage: scripts/bench_live.sh latency|tracking|servers [bench/live.py options]"
SCENARIO="$1"
shift
ensure_venv
ensure_odoo
ensure_postgres
ensure_template
DB="mja_live_$$"
cleanup() {
    if [ -n "${KEEP:-}" ]; then
        say "Kept the database $DB (KEEP is set): dropdb $DB when done"
    else
        drop_db "$DB"
    fi
}
trap cleanup EXIT
say "Preparing $DB with $ADDONS, website_crm and mass_mailing (a few minutes; log: $VAR/$DB.log)"
clone_template "$DB"
odoo -d "$DB" -i "$(echo "$ADDONS" | tr ' ' ','),website_crm,mass_mailing" --stop-after-init --no-http \
    --log-level=warn --max-cron-threads=0 >"$VAR/$DB.log" 2>&1 || { tail -30 "$VAR/$DB.log"; die "installing the addons failed"; }
# the IAP lead enrichment archived: it calls iap.odoo.com for every new lead
# and, without network, holds a cron worker for minutes (and its lead updates
# make a concurrent enrollment fail with a serialization error)
psql -d "$DB" -qc "UPDATE ir_cron SET active = false WHERE id = (SELECT res_id FROM ir_model_data
    WHERE module = 'crm_iap_enrich' AND name = 'ir_cron_lead_enrichment')"
cd "$ROOT"
PYTHONPATH="$ODOO_SRC" ODOO_SRC="$ODOO_SRC" "$VENV/bin/python" bench/live.py "$SCENARIO" \
    --db "$DB" --addons-path "$ADDONS_PATH" "$@"
