# The venv is made on first use; it is rebuilt when pyproject.toml changes. It has the dev tools
# and the optional Dagster extra, which the tests cover.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run demo test test-fast lint bench docs report dagster clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,dagster]'
	@touch $(STAMP)

# `make run` exits 2 when the run fails (make's own code); cron can call
# `.venv/bin/python -m pipelines run` instead for the run's own exit code (1).
run: $(STAMP)
	@$(PY) -m pipelines run

demo: $(STAMP)
	@$(PY) -m simulator.demo

# Every tier (tests/unit, tests/pipeline, tests/e2e; see tests/conftest.py). Test files run in
# parallel, one more at a time than there are cores, since a test often waits on a process or a
# socket (a file's tests stay together, so each module's warehouse, simulator and PostgreSQL
# cluster are built once). The 15 slowest are listed, so a change sees its cost.
TEST_WORKERS = $(shell $(PYTHON) -c 'import os; print(len(os.sched_getaffinity(0)) + 1)')
test: $(STAMP)
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=15

# The fast tiers: no CLI run and no dbt (the client, dates, the simulator's spec, the explainer,
# and the sources loaded in-process), in under a minute on 2 cores.
test-fast: $(STAMP)
	$(PY) -m pytest -q -n auto --dist loadfile tests/unit tests/pipeline

# ruff, mypy on the shipped package (pyproject.toml: [tool.mypy]), then sqlfluff on the dbt
# project (.sqlfluff), compiled by dbt against a scratch DuckDB file (never the warehouse) whose
# staging views exist, for the model that queries them while it compiles (campaign_daily's calendar).
LINT_DB = DESTINATION_TYPE=duckdb DESTINATION__DUCKDB__CREDENTIALS=$$scratch/lint.duckdb
lint: $(STAMP)
	$(VENV)/bin/ruff check pipelines simulator tests
	$(VENV)/bin/mypy
	@scratch=$$(mktemp -d) && $(LINT_DB) $(VENV)/bin/dbt run --quiet --select staging --project-dir dbt_project \
		--profiles-dir dbt_project --target-path $$scratch/target \
		&& $(LINT_DB) $(VENV)/bin/sqlfluff lint dbt_project/models dbt_project/tests; status=$$?; rm -rf $$scratch; exit $$status

report: $(STAMP)
	@$(PY) -m pipelines report

docs: $(STAMP)
	@$(PY) -m pipelines docs

bench: $(STAMP)
	$(PY) -m simulator.bench --rate-limit $(or $(RATE_LIMIT),100)

# The Dagster UI on the code location (http://127.0.0.1:3000, or PORT).
dagster: $(STAMP)
	$(VENV)/bin/dagster dev -m pipelines.commands.orchestration -m pipelines.commands.transformation -h 127.0.0.1 -p $(or $(PORT),3000)

clean:
	rm -rf $(VENV) data bench-results.json
