#!/usr/bin/env bash
# make test: install this project's addons with --test-enable in a throw-away
# database cloned from a cached template, run their tests, check uninstall,
# and print "N passed, N failed".
source "$(dirname "$0")/lib.sh"

ensure_venv
ensure_odoo
ensure_postgres
ensure_chromium

DEPS="$(dependency_modules)"
SIG="$( { echo "$DEPS"; cat "$ROOT"/requirements/odoo.txt; sed -n '/version_info/p' "$ODOO_SRC/odoo/release.py"; \
          (cd "$ODOO_SRC" && git rev-parse HEAD 2>/dev/null || stat -c %Y addons odoo); } | sha1sum | cut -c1-10)"
TEMPLATE="mja_tmpl_$SIG"
TEST_DB="mja_test_$$"
LOG="$VAR/test.log"
HTTP_PORT="${HTTP_PORT:-$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"

if ! db_exists "$TEMPLATE"; then
    say "Building template database $TEMPLATE with: $DEPS (once per dependency set)"
    if ! odoo -d "$TEMPLATE.tmp" -i "$DEPS" --stop-after-init --no-http --log-level=warn >"$VAR/template.log" 2>&1; then
        dropdb --if-exists "$TEMPLATE.tmp"
        tail -30 "$VAR/template.log"
        die "building the template database failed (log: $VAR/template.log)"
    fi
    psql -d postgres -qc "ALTER DATABASE \"$TEMPLATE.tmp\" RENAME TO \"$TEMPLATE\""
    rm -rf "$HOME/.local/share/Odoo/filestore/$TEMPLATE"
    [ -d "$HOME/.local/share/Odoo/filestore/$TEMPLATE.tmp" ] \
        && mv "$HOME/.local/share/Odoo/filestore/$TEMPLATE.tmp" "$HOME/.local/share/Odoo/filestore/$TEMPLATE"
fi

cleanup() { dropdb --if-exists "$TEST_DB" 2>/dev/null || true; rm -rf "$HOME/.local/share/Odoo/filestore/$TEST_DB"; }
trap cleanup EXIT
createdb -T "$TEMPLATE" "$TEST_DB"
[ -d "$HOME/.local/share/Odoo/filestore/$TEMPLATE" ] \
    && cp -r "$HOME/.local/share/Odoo/filestore/$TEMPLATE" "$HOME/.local/share/Odoo/filestore/$TEST_DB"

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
