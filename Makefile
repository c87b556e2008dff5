# The venv is made on first use; it is rebuilt when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run demo test bench docs clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m pipelines run

demo: $(STAMP)
	$(PY) -m pipelines demo

test: $(STAMP)
	$(PY) -m pytest -q

docs: $(STAMP)
	$(VENV)/bin/dbt docs generate --project-dir dbt_project --profiles-dir dbt_project
	@echo "open dbt_project/target/index.html (or: $(VENV)/bin/dbt docs serve --project-dir dbt_project --profiles-dir dbt_project)"

bench: $(STAMP)
	$(PY) -m pipelines bench --rate-limit $(or $(RATE_LIMIT),100)

clean:
	rm -rf $(VENV) data bench-results.json
