#!/usr/bin/env bash
# make pot: export each addon's i18n/<addon>.pot from a database cloned from the test template and
# merge it into the existing translations (zh_CN.po), keeping what is translated.
# scripts/pot.sh ADDON...: only those addons (all of this project's by default).
source "$(dirname "$0")/lib.sh"
ensure_venv
ensure_odoo
ensure_postgres

ensure_template

DB="mja_pot_$$"
trap 'drop_db "$DB"' EXIT
clone_template "$DB"
odoo -d "$DB" -i "$(echo "$ADDONS" | tr ' ' ',')" --stop-after-init --no-http --log-level=warn
for addon in ${*:-$ADDONS}; do
    pot="$ROOT/$addon/i18n/$addon.pot"
    odoo i18n export -d "$DB" -o "$pot" "$addon"
    for po in "$ROOT/$addon"/i18n/*.po; do
        [ -e "$po" ] || continue
        "$VENV/bin/python" - "$po" "$pot" <<'PY'
import sys
import polib
po = polib.pofile(sys.argv[1], wrapwidth=78)
po.merge(polib.pofile(sys.argv[2]))
po.save()
untranslated = po.untranslated_entries()
print(f"{sys.argv[1]}: {len(untranslated)} untranslated")
PY
    done
done
