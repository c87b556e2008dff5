"""Alerts: after each successful `dbt build` (and on demand, `python -m pipelines alerts`), the
rules read the marts; an alert opens the first time a rule finds its subject and resolves the
first run it does not, and each opening and resolution is sent once to every destination.

Rules: `rules.py`; their settings: `settings.py`; destinations: `destinations.py`; state in the
warehouse: `state.py`; one evaluation: `evaluate.py`.
"""

from pipelines.outputs.alerts.evaluate import AlertOutcome, run_alerts

__all__ = ["AlertOutcome", "run_alerts"]
