#!/usr/bin/env bash
# make lint: ruff format + ruff check + pylint-odoo on the project's Python.
# With --fix, rewrite the files instead of only reporting.
source "$(dirname "$0")/lib.sh"
ensure_venv
cd "$ROOT"
PATHS=()
for path in mail_journey_automation* tests bench scripts; do
    [ -e "$path" ] && PATHS+=("$path")
done
if [ "${1:-}" = --fix ]; then
    "$VENV/bin/ruff" format "${PATHS[@]}"
    "$VENV/bin/ruff" check --fix "${PATHS[@]}"
    exit 0
fi
say "ruff"
"$VENV/bin/ruff" format --check "${PATHS[@]}"
"$VENV/bin/ruff" check "${PATHS[@]}"
say "pylint-odoo"
"$VENV/bin/pylint" --rcfile="$ROOT/.pylintrc" mail_journey_automation*
