#!/usr/bin/env bash
# make test: install this project's addons with --test-enable in a throw-away
# database cloned from a cached template, run their tests, check uninstall,
# and print "N passed, N failed".
source "$(dirname "$0")/lib.sh"

ensure_venv
ensure_odoo
ensure_postgres
ensure_chromium

ensure_template
TEST_DB="mja_test_$$"
LOG="${TEST_LOG:-$VAR/test.log}"
HTTP_PORT="${HTTP_PORT:-$(free_port)}"

trap 'drop_db "$TEST_DB"' EXIT
clone_template "$TEST_DB"

TAGS="${TEST_TAGS:-$(echo "$ADDONS" | sed 's/\([^ ]*\)/\/\1/g; s/ /,/g')}"
say "Installing $ADDONS into $TEST_DB and running tests ($TAGS)"
set +e
odoo -d "$TEST_DB" -i "$(echo "$ADDONS" | tr ' ' ',')" --test-enable --test-tags "$TAGS" \
    --stop-after-init --http-port "$HTTP_PORT" --log-level=info --max-cron-threads=0 >"$LOG" 2>&1
rc=$?
set -e

say "Uninstalling $ADDONS"
uninstall_ok=1
if odoo module uninstall -d "$TEST_DB" $ADDONS >>"$LOG" 2>&1; then
    left="$(psql -d "$TEST_DB" -Atc "
        select 'module ' || name || ' is ' || state from ir_module_module
         where name in ($(echo "$ADDONS" | sed "s/\([^ ]*\)/'\1'/g; s/ /,/g")) and state != 'uninstalled'
        union all
        select 'model ' || model || ' left' from ir_model where model like 'mail.journey%'
        union all
        select 'table ' || tablename || ' left' from pg_tables where tablename like 'mail_journey%'
        union all
        select 'column crm_lead.' || column_name || ' left' from information_schema.columns
         where table_name = 'crm_lead' and column_name like 'journey%'")"
    if [ -n "$left" ]; then echo "uninstall left: $left" >>"$LOG"; uninstall_ok=0; fi
else
    uninstall_ok=0
fi

"$VENV/bin/python" "$ROOT/scripts/test_report.py" "$LOG" "$rc" "$uninstall_ok" $ADDONS
