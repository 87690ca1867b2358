# Shared helpers for the project's scripts: sourced, never run directly.
# Each function prepares one thing (venv, Odoo source, PostgreSQL) and is
# idempotent, so re-runs are fast.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
VAR="$ROOT/var"
FILESTORE="$HOME/.local/share/Odoo/filestore"
ODOO_SRC="${ODOO_SRC:-$HOME/.cache/odoo/19.0}"
ODOO_REPO_URL="${ODOO_REPO_URL:-https://github.com/odoo/odoo.git}"
# This project's addons: every top-level directory holding a __manifest__.py
# (not marked installable: False), sorted by name: the core comes first, its
# name being the prefix of the others'. A new addon is picked up on its own.
project_addons() {
    local manifest
    for manifest in "$ROOT"/*/__manifest__.py; do
        [ -e "$manifest" ] || continue
        grep -Eq "[\"']installable[\"'][[:space:]]*:[[:space:]]*False" "$manifest" && continue
        basename "$(dirname "$manifest")"
    done | LC_ALL=C sort | paste -sd ' ' -
}
ADDONS="$(project_addons)"
mkdir -p "$VAR"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 2; }

# apt_install PACKAGE...: install Debian packages when we may (root with apt-get).
apt_install() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
    say "Installing $*"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The browser tests (Odoo tours) run in headless Chromium.
ensure_chromium() {
    command -v chromium >/dev/null || command -v google-chrome >/dev/null && return
    apt_install chromium chromium-driver \
        || die "The browser tests need Chromium: install chromium (Debian/Ubuntu) and re-run"
}

ensure_python() {
    PYTHON="${PYTHON:-}"
    if [ -z "$PYTHON" ]; then
        for candidate in python3 python3.12 python3.13 python3.11 python3.10; do
            if command -v "$candidate" >/dev/null 2>&1 \
                && "$candidate" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null; then
                PYTHON="$candidate"
                break
            fi
        done
    fi
    [ -n "$PYTHON" ] || die "Python 3.10 to 3.13 is required: install one or set PYTHON=/path/to/python3.x"
}

ensure_venv() {
    ensure_python
    local stamp="$VENV/.requirements.sha"
    local want
    want="$(cat "$ROOT"/requirements/*.txt | sha1sum | cut -d' ' -f1)"
    if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        return
    fi
    if ! dpkg -s libpq-dev >/dev/null 2>&1 && ! command -v pg_config >/dev/null 2>&1; then
        apt_install libpq-dev \
            || die "psycopg2 needs the PostgreSQL client headers: install libpq-dev (Debian/Ubuntu) and re-run"
    fi
    say "Creating $VENV with $($PYTHON --version) and the pinned requirements"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip wheel
    "$VENV/bin/pip" install -q -r "$ROOT/requirements/dev.txt"
    echo "$want" > "$stamp"
}

ensure_odoo() {
    if [ ! -f "$ODOO_SRC/odoo-bin" ]; then
        if [ -z "$(ls -A "$ODOO_SRC" 2>/dev/null)" ] && command -v git >/dev/null; then
            say "Cloning Odoo 19.0 into $ODOO_SRC (depth 1)"
            mkdir -p "$ODOO_SRC"
            git clone -q --depth 1 --branch 19.0 "$ODOO_REPO_URL" "$ODOO_SRC" || rm -rf "$ODOO_SRC"
        fi
    fi
    [ -f "$ODOO_SRC/odoo-bin" ] || die "No Odoo 19.0 source found.
  Set ODOO_SRC to a folder holding Odoo 19.0 Community (the folder with odoo-bin, odoo/ and addons/),
  or put it in ~/.cache/odoo/19.0 (e.g. git clone --depth 1 -b 19.0 https://github.com/odoo/odoo ~/.cache/odoo/19.0)."
    grep -q "version_info = (19, 0" "$ODOO_SRC/odoo/release.py" \
        || die "$ODOO_SRC is not Odoo 19.0 (see $ODOO_SRC/odoo/release.py)"
    ADDONS_PATH="$ODOO_SRC/odoo/addons,$ODOO_SRC/addons,$ROOT"
}

ensure_postgres() {
    # Explicit PG* variables win: the caller points us at their own server.
    if [ -n "${PGHOST:-}${PGPORT:-}${PGUSER:-}" ]; then
        pg_isready -q || die "PostgreSQL given by PGHOST/PGPORT/PGUSER is not reachable"
        return
    fi
    if ! command -v pg_ctlcluster >/dev/null 2>&1 && ! command -v pg_ctl >/dev/null 2>&1; then
        apt_install postgresql \
            || die "PostgreSQL is not installed: install it, or set PGHOST/PGPORT/PGUSER/PGPASSWORD"
    fi
    if command -v pg_lsclusters >/dev/null 2>&1; then
        pg_lsclusters -h | while read -r ver name _port status _rest; do
            if [ "$status" = down ]; then
                say "Starting PostgreSQL cluster $ver $name"
                if [ "$(id -u)" = 0 ]; then pg_ctlcluster "$ver" "$name" start; else sudo pg_ctlcluster "$ver" "$name" start; fi
            fi
        done
    fi
    for _ in $(seq 30); do pg_isready -q && break; sleep 1; done
    pg_isready -q || die "PostgreSQL does not answer: start it, or set PGHOST/PGPORT/PGUSER/PGPASSWORD"
    local me
    me="$(id -un)"
    if ! psql -d postgres -Atc 'select 1' >/dev/null 2>&1; then
        say "Creating PostgreSQL superuser role $me"
        if [ "$(id -u)" = 0 ]; then
            su postgres -c "createuser -s $me" 2>/dev/null || true
        else
            sudo -u postgres createuser -s "$me" 2>/dev/null || true
        fi
    fi
    psql -d postgres -Atc 'select 1' >/dev/null || die "Cannot connect to PostgreSQL as $me"
}

odoo() {
    "$VENV/bin/python" "$ODOO_SRC/odoo-bin" --addons-path="$ADDONS_PATH" "$@"
}

db_exists() {
    [ "$(psql -d postgres -Atc "select 1 from pg_database where datname = '$1'")" = 1 ]
}

# The modules a database needs before this project's addons are installed.
dependency_modules() {
    "$VENV/bin/python" - "$ROOT" $ADDONS <<'PY'
import ast, pathlib, sys
root = pathlib.Path(sys.argv[1])
ours = set(sys.argv[2:])
deps = set()
for name in ours:
    manifest = ast.literal_eval((root / name / "__manifest__.py").read_text())
    deps.update(manifest.get("depends", []))
print(",".join(sorted(deps - ours)))
PY
}

free_port() {
    "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The template database with the modules this project's addons depend on,
# built once per dependency set (and Odoo version): sets TEMPLATE.
ensure_template() {
    local deps sig
    deps="$(dependency_modules)"
    sig="$( { echo "$deps"; cat "$ROOT"/requirements/odoo.txt; sed -n '/version_info/p' "$ODOO_SRC/odoo/release.py"; \
              (cd "$ODOO_SRC" && git rev-parse HEAD 2>/dev/null || stat -c %Y addons odoo); } | sha1sum | cut -c1-10)"
    TEMPLATE="mja_tmpl_$sig"
    db_exists "$TEMPLATE" && return
    say "Building template database $TEMPLATE with: $deps (once per dependency set)"
    if ! odoo -d "$TEMPLATE.tmp" -i "$deps" --stop-after-init --no-http --log-level=warn >"$VAR/template.log" 2>&1; then
        dropdb --if-exists "$TEMPLATE.tmp"
        tail -30 "$VAR/template.log"
        die "building the template database failed (log: $VAR/template.log)"
    fi
    psql -d postgres -qc "ALTER DATABASE \"$TEMPLATE.tmp\" RENAME TO \"$TEMPLATE\""
    rm -rf "$FILESTORE/$TEMPLATE"
    [ -d "$FILESTORE/$TEMPLATE.tmp" ] && mv "$FILESTORE/$TEMPLATE.tmp" "$FILESTORE/$TEMPLATE"
    return 0
}

# A throw-away database $1 cloned from the template (and its filestore).
clone_template() {
    createdb -T "$TEMPLATE" "$1"
    if [ -d "$FILESTORE/$TEMPLATE" ]; then cp -r "$FILESTORE/$TEMPLATE" "$FILESTORE/$1"; fi
}

drop_db() {
    dropdb --if-exists "$1" 2>/dev/null || true
    rm -rf "${FILESTORE:?}/$1"
}

# run_blackbox NAME PATTERN ODOO_OPTION...: the tests of tests/ whose files
# match PATTERN, against a real Odoo. Installs this project's addons (no test
# mode) in a throw-away database mja_NAME_<pid> cloned from the test template,
# starts the SMTP sink and Odoo (with ODOO_OPTIONs) on free ports, runs the
# tests with unittest, then stops everything and drops that database and the
# ones the tests cloned from it (mja_NAME_<pid>_*). Log: var/NAME.log.
run_blackbox() {
    local name="$1" pattern="$2" log="$VAR/$1.log" http_port smtp_port
    shift 2
    ensure_venv
    ensure_odoo
    ensure_postgres
    ensure_template
    BLACKBOX_DB="mja_${name}_$$"
    BLACKBOX_MAIL_DIR="$(mktemp -d "$VAR/$name-mail.XXXXXX")"
    BLACKBOX_PIDS=()
    trap blackbox_cleanup EXIT
    http_port="$(free_port)"
    smtp_port="$(free_port)"

    say "Installing $ADDONS into $BLACKBOX_DB (log: $log)"
    clone_template "$BLACKBOX_DB"
    odoo -d "$BLACKBOX_DB" -i "$(echo "$ADDONS" | tr ' ' ',')" --stop-after-init --no-http \
        --log-level=warn --max-cron-threads=0 >"$log" 2>&1 || { tail -30 "$log"; die "installing the addons failed"; }

    # started with exec so that $! is the server itself, which the cleanup stops
    (exec "$VENV/bin/python" "$ROOT/scripts/smtp_sink.py" --port "$smtp_port" --folder "$BLACKBOX_MAIL_DIR") >>"$log" 2>&1 &
    BLACKBOX_PIDS+=($!)
    # the JSON-RPC deprecation warning of Odoo 19 is muted (the tests use that API on purpose)
    (exec "$VENV/bin/python" "$ODOO_SRC/odoo-bin" --addons-path="$ADDONS_PATH" -d "$BLACKBOX_DB" \
        --db-filter="^$BLACKBOX_DB\$" --http-interface=127.0.0.1 --http-port="$http_port" \
        --log-level=warn --log-handler=odoo.addons.rpc.controllers.jsonrpc:ERROR "$@") >>"$log" 2>&1 &
    BLACKBOX_PIDS+=($!)

    say "Odoo ($*) on http://127.0.0.1:$http_port, SMTP sink on 127.0.0.1:$smtp_port: running tests/$pattern"
    ODOO_URL="http://127.0.0.1:$http_port" ODOO_DB="$BLACKBOX_DB" SMTP_PORT="$smtp_port" \
        MAIL_DIR="$BLACKBOX_MAIL_DIR" ODOO_PYTHON="$VENV/bin/python" \
        ODOO_SRC="$ODOO_SRC" ADDONS_PATH="$ADDONS_PATH" ODOO_TEMPLATE="$TEMPLATE" \
        "$VENV/bin/python" -m unittest discover -s "$ROOT/tests" -t "$ROOT" -p "$pattern" -v
}

blackbox_cleanup() {
    local pid db
    for pid in "${BLACKBOX_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${BLACKBOX_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    for db in "$BLACKBOX_DB" $(psql -d postgres -Atc "select datname from pg_database where datname like '${BLACKBOX_DB}\_%'"); do
        drop_db "$db"
    done
    rm -rf "$BLACKBOX_MAIL_DIR"
}
