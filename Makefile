# mail_journey_automation — entry points. See README.md.
SHELL := /bin/bash
N ?=
KEEP ?=
SCENARIO ?=
ARGS ?=

.PHONY: help test test-only blackbox test-reliability demo lint format bench bench-live bench-intent pot screenshots clean

help:
	@echo "make demo   Odoo with the addon and demo data on http://localhost:8069 (admin/admin)"
	@echo "make test   lint, then install the addons in a throw-away database and run their tests"
	@echo "make blackbox  post a real website form to a running Odoo and check the journey email"
	@echo "make test-reliability  concurrency, crash, load, access and upgrade tests (~15 min)"
	@echo "make lint   ruff (format + lint) and pylint-odoo"
	@echo "make bench  journey cron vs mass mailing vs SQL (N=1000,10000,50000; KEEP=1 keeps the DB)"
	@echo "make bench-live SCENARIO=latency|tracking|servers [ARGS=...]  against running Odoo servers, crons on (KEEP=1 keeps the DB)"
	@echo "make bench-intent  reply intent classifier: precision, recall, confusion on bench/intent (dev, holdout)"
	@echo "make pot    export i18n/*.pot from a test database"
	@echo "make screenshots  README screenshots from the running demo (make demo first)"

test: lint test-only blackbox

test-only:
	@scripts/test.sh

blackbox:
	@scripts/blackbox.sh

test-reliability:
	@scripts/reliability.sh

demo:
	@scripts/demo.sh

lint:
	@scripts/lint.sh

format:
	@scripts/lint.sh --fix

bench:
	@KEEP=$(KEEP) scripts/bench.sh $(N)

bench-live:
	@KEEP=$(KEEP) scripts/bench_live.sh $(SCENARIO) $(ARGS)

bench-intent:
	@.venv/bin/python bench/intent_eval.py

pot:
	@scripts/pot.sh

screenshots:
	@.venv/bin/python scripts/screenshots.py --url http://localhost:$${HTTP_PORT:-8069} --out docs/screenshots

clean:
	rm -rf .venv var
	-psql -d postgres -Atc "select datname from pg_database where datname like 'mja_tmpl_%'" | xargs -rn1 dropdb --if-exists
