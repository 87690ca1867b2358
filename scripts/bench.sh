#!/usr/bin/env bash
# make bench [N=1000,10000,50000] [KEEP=1]: the journey cron against Odoo's
# mass mailing and a raw SQL floor, on one throw-away database that has
# mass_mailing installed (it is never a dependency of the addon).
source "$(dirname "$0")/lib.sh"
ensure_venv
ensure_odoo
ensure_postgres
SIZES="${1:-1000,10000,50000}"
DB="mja_bench_$$"
cleanup() {
    if [ -n "${KEEP:-}" ]; then
        say "Kept the database $DB (KEEP is set): dropdb $DB when done"
    else
        dropdb --if-exists "$DB"
        rm -rf "$HOME/.local/share/Odoo/filestore/$DB"
    fi
}
trap cleanup EXIT
say "Preparing $DB with $ADDONS and mass_mailing"
createdb "$DB"
odoo -d "$DB" -i "$(echo "$ADDONS" | tr ' ' ','),mass_mailing" --stop-after-init --no-http --log-level=warn
cd "$ROOT"
PYTHONPATH="$ODOO_SRC" "$VENV/bin/python" bench/run.py --db "$DB" --addons-path "$ADDONS_PATH" --sizes "$SIZES"
