# Every target bootstraps .venv from nothing: python3 + pip are all a fresh machine needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
UV := $(VENV)/bin/uv
export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export GX_ANALYTICS_ENABLED := False

DEMO_DIR := data/demo-source
DEMO_AS_OF ?= $(shell date -u -d yesterday +%F)
DEMO_CLIENTS ?= 5000
WAREHOUSE ?= duckdb:///$(CURDIR)/data/warehouse.duckdb
AIRFLOW_PORT ?= 8080

.PHONY: install demo test lint pg-up clean airflow browser bench dictionary

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml uv.lock
	test -x $(UV) || { $(PYTHON) -m venv $(VENV) && $(VENV)/bin/pip install --quiet uv==0.13.9; }
	$(UV) sync --frozen --quiet --compile-bytecode
	touch $@

demo: install
	$(VENV)/bin/clientseg generate --out $(DEMO_DIR) --clients $(DEMO_CLIENTS) --seed 42 --as-of $(DEMO_AS_OF)
	$(VENV)/bin/clientseg run --as-of $(DEMO_AS_OF) --source $(DEMO_DIR) --warehouse $(WAREHOUSE) --summary

# The Airflow UI on http://localhost:$(AIRFLOW_PORT), the demo source and warehouse as connections.
airflow: install
	$(VENV)/bin/clientseg airflow --port $(AIRFLOW_PORT) --source $(DEMO_DIR) --warehouse $(WAREHOUSE)

# Headless Chromium (Debian's package) for the report's browser test.
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  command -v apt-get >/dev/null || { echo "install Chromium to run tests/ui" >&2; exit 1; }; \
	  apt-get install -y -qq chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }; }

pg-up:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  command -v pg_ctlcluster >/dev/null || { echo "PostgreSQL is not installed" >&2; exit 1; }; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	  pg_isready -h 127.0.0.1 -p 5432; }

# Tests run in TEST_WORKERS processes (pytest-xdist), one Airflow home each (tests/conftest.py).
TEST_WORKERS ?= 2
test: install pg-up browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -n $(TEST_WORKERS)

# Performance: first load, nightly run, transform alone, lower bound (bench/run.py --help).
SIZE ?= S
bench: install
	$(VENV)/bin/python bench/run.py $(SIZE) $(BENCH_ARGS)

dictionary: install  # docs/data_dictionary.md from include/columns.yaml
	$(VENV)/bin/python -m clientseg.data_dictionary

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .airflow .airflow-* data .pytest_cache .ruff_cache
