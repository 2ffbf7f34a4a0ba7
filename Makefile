# One command each: `make demo` runs the whole nightly job on the bundled sample data,
# `make test` runs every test, `make dev` opens the Dagster UI. Only python3 (3.11+) and make
# are needed: uv is bootstrapped into .tools/ and installs the locked environment into .venv/.

PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# dagster-dbt runs the `dbt` executable, which lives in the virtual environment
export PATH := $(BIN):$(PATH)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

# The demo night: the bundled sample exports end on this day.
DEMO_AS_OF ?= 2026-11-20
DEMO_DIR := $(CURDIR)/data/demo
DEMO_ENV := LEAD_SCORING_LANDING_DIR=$(CURDIR)/sample_data/landing \
	LEAD_SCORING_WAREHOUSE=$(DEMO_DIR)/lead_scoring.duckdb \
	LEAD_SCORING_OUTPUT_DIR=$(DEMO_DIR)/output \
	DAGSTER_HOME=$(CURDIR)/data/dagster_home

# A local Dagster instance for the demo and the UI, without usage telemetry.
DAGSTER_INSTANCE = mkdir -p $(CURDIR)/data/dagster_home && \
	test -f $(CURDIR)/data/dagster_home/dagster.yaml || \
	printf 'telemetry:\n  enabled: false\n' > $(CURDIR)/data/dagster_home/dagster.yaml

.PHONY: install manifest demo test dev lint format sample-data bench clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

# --compile-bytecode: every run starts Python twice (Dagster, then dbt) and imports hundreds of
# modules; compiled once here, not at every start where .pyc files cannot be written
# (PYTHONDONTWRITEBYTECODE, a read-only install): 3-4 s less per process.
$(VENV)/.synced: $(UV) uv.lock pyproject.toml Makefile
	$(UV) sync --frozen --compile-bytecode
	touch $@

install: $(VENV)/.synced

# dagster-dbt reads dbt_project/target/manifest.json when the code location loads.
manifest: install
	cd dbt_project && $(BIN)/dbt parse --quiet --profiles-dir .

demo: manifest
	$(DAGSTER_INSTANCE)
	$(DEMO_ENV) $(BIN)/python -m orchestration run --as-of $(DEMO_AS_OF)

test: manifest
	$(BIN)/pytest

dev: manifest
	$(DAGSTER_INSTANCE)
	$(DEMO_ENV) $(BIN)/dagster dev -w workspace.yaml

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerate the bundled sample exports (deterministic: same seed, same files).
sample-data: install
	$(BIN)/python -m orchestration.sample_data --out sample_data --leads 400 --seed 7 --end-date $(DEMO_AS_OF)

# The benchmark (bench/run.py): the nightly run on generated exports of size S (10k leads),
# M (100k) or L (1M), side by side with a hand-written DuckDB query (the floor) and pandas.
# Data is cached in bench/data/; results go to bench/results/<SIZE>.json and .md.
SIZE ?= S
BENCH_ARGS ?=
bench: manifest
	$(BIN)/python -m bench.run --size $(SIZE) $(BENCH_ARGS)

clean:
	rm -rf data dbt_project/target dbt_project/logs .pytest_cache
