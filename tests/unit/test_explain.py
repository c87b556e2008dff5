"""Every failure is one line naming what to fix, with its innermost cause; the explainer never
raises, and a destination without credentials names the settings to set."""

import subprocess
import sys

import dlt
import pytest
from dlt.common.configuration.specs import BaseConfiguration
from dlt.pipeline.exceptions import PipelineStepFailed

from helpers import ROOT, env_for
from pipelines.engine.explain import explain

"""The fast tier (`make test-fast`): no warehouse is built here."""


def wrapped_by_dlt(tmp_path, cause: BaseException) -> PipelineStepFailed:
    """`cause` as dlt reports it from its load step: wrapped twice, the cause at the bottom."""
    pipeline = dlt.pipeline("explain_test", destination="duckdb", pipelines_dir=str(tmp_path))
    try:
        try:
            raise cause
        except BaseException as exc:
            raise RuntimeError("job failed") from exc
    except RuntimeError as exc:
        return PipelineStepFailed(pipeline, "load", "1796346544.99", exc)


def test_a_load_failure_names_its_innermost_cause(tmp_path):
    line = explain(wrapped_by_dlt(tmp_path, OSError(28, "No space left on device")))
    assert line == "load step failed: OSError: [Errno 28] No space left on device"


def test_the_explainer_falls_back_to_the_error_when_explaining_fails(monkeypatch):
    from dlt.common.configuration.exceptions import ConfigFieldMissingException

    def broken(missing):
        raise AttributeError("'LookupTraces' object has no attribute 'key'")

    monkeypatch.setattr("pipelines.engine.explain.setting_names", broken)
    missing = ConfigFieldMissingException(BaseConfiguration(), {"password": []})
    assert explain(missing).startswith("ConfigFieldMissingException: ")


def test_nested_credentials_name_each_missing_variable():
    from dlt.common.configuration.exceptions import ConfigFieldMissingException, LookupTrace, LookupTraces

    def tried(field):
        return [LookupTrace("Environment Variables", [], f"DESTINATION__BIGQUERY__CREDENTIALS__{field}", None),
                LookupTrace("Environment Variables", [], f"CREDENTIALS__{field}", None)]

    nested = LookupTraces("GcpCredentials", [], 0, 1, {"project_id": tried("PROJECT_ID"), "private_key": tried("PRIVATE_KEY")})
    line = explain(ConfigFieldMissingException(BaseConfiguration(), {"credentials": [nested]}))
    assert line.startswith("Missing setting DESTINATION__BIGQUERY__CREDENTIALS__PROJECT_ID,"
                           " DESTINATION__BIGQUERY__CREDENTIALS__PRIVATE_KEY")


@pytest.mark.parametrize("destination, setting", [
    ("postgres", "DESTINATION__POSTGRES__CREDENTIALS__"),
    ("bigquery", "DESTINATION__BIGQUERY__CREDENTIALS__"),
    ("snowflake", "DESTINATION__SNOWFLAKE__CREDENTIALS__"),
    ("motherduck", "DESTINATION__MOTHERDUCK__CREDENTIALS__"),
])
def test_a_destination_without_credentials_is_one_line_naming_them(sim, tmp_path, destination, setting):
    env = env_for(sim, tmp_path, DESTINATION_TYPE=destination)
    done = subprocess.run([sys.executable, "-m", "pipelines", "run"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    [error] = done.stderr.strip().splitlines()
    assert error.startswith("error: Missing setting ") and setting in error
    assert sim.state.log == []  # the warehouse is reached before any request
