"""The code location's schedule and sensor, evaluated in a process of their own (so the code
location reads this test's settings) on a throwaway instance; and `make dagster` on the code
locations the deployment serves. `test_dagster_deployment` materialises the assets, as the README
deploys them, and compares the warehouse with `make run`'s."""

import json
import re
import subprocess
import sys

import pytest

from helpers import KEYS, ROOT
from simulator.deployment import readme_commands

EVALUATE = """
import json
import sys
import dagster as dg
from datetime import datetime, timezone
from pipelines.commands.orchestration import WORKSPACE_PARTITIONS, daily_loads, defs, workspace_partitions
from pipelines.commands.transformation import defs as models_defs

selected = {key for location in (defs, models_defs)
            for key in dg.AssetSelection.from_string(sys.argv[1]).resolve(location.resolve_asset_graph())}
instance = dg.DagsterInstance.local_temp()  # with a reference: a schedule's context reads it
instance.add_dynamic_partitions(WORKSPACE_PARTITIONS, ["former-client"])  # a label no longer configured
sensed = {type(request).__name__: sorted(request.partition_keys)
          for request in workspace_partitions(dg.build_sensor_context(instance=instance)).dynamic_partitions_requests}
instance.add_dynamic_partitions(WORKSPACE_PARTITIONS, sensed.get("AddDynamicPartitionsRequest", []))
for gone in sensed.get("DeleteDynamicPartitionsRequest", []):
    instance.delete_dynamic_partition(WORKSPACE_PARTITIONS, gone)
tick = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 12, 7, 5, tzinfo=timezone.utc))
print(json.dumps({
    "scheduled": [[request.partition_key, request.run_key] for request in daily_loads(tick)],
    "sensed": sensed,
    "selected": sorted(key.to_user_string() for key in selected),
}))
"""
README_SELECTIONS = re.findall(r"--select '(group:\w+)'", (ROOT / "README.md").read_text())
"""The selections the README gives for `dagster asset materialize`."""


@pytest.fixture(scope="module")
def evaluated(agency, tmp_path_factory):
    """What the sensor asks, then what the daily schedule asks at one tick, on a throwaway instance
    holding a partition no longer configured; and the asset keys the README's selections pick."""
    root = tmp_path_factory.mktemp("dagster")
    done = subprocess.run(
        [sys.executable, "-c", EVALUATE, " or ".join(README_SELECTIONS)], cwd=root,
        env=agency.env(root, KEYS, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_sensor_adds_each_configured_workspace_and_removes_one_no_longer_configured(evaluated):
    assert evaluated["sensed"] == {
        "AddDynamicPartitionsRequest": sorted(KEYS), "DeleteDynamicPartitionsRequest": ["former-client"],
    }


def test_the_daily_schedule_asks_a_run_of_each_workspace_partition_once_per_tick(evaluated):
    assert evaluated["scheduled"] == [
        ["acme", "acme 2026-12-07T05:00:00+00:00"], ["globex", "globex 2026-12-07T05:00:00+00:00"],
    ]


def test_make_dagster_serves_the_code_locations_the_deployment_serves():
    """`make dagster` (dagster dev) loads the modules the deployment's code servers load, whose UI
    `test_dagster_deployment` reads: the two commands cannot drift apart."""
    shown = subprocess.run(["make", "-n", "dagster"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    served = [re.search(r"-m (\S+)", command).group(1) for command in readme_commands() if "code-server start" in command]
    assert re.findall(r"-m (\S+)", shown) == served == ["pipelines.commands.orchestration",
                                                         "pipelines.commands.transformation"]


def test_the_readme_selections_pick_the_instantly_tables_campaign_cleaners_and_the_dbt_models(evaluated):
    from pipelines.flow import FAMILIES

    assert README_SELECTIONS == ["group:instantly", "group:campaign_cleaner", "group:dbt"]
    keys = set(evaluated["selected"])
    tables = {f"{family.source}/{table}" for family in FAMILIES for table in family.resources}
    models = keys - tables
    assert tables <= keys
    assert {"analytics/campaigns", "analytics/source_freshness"} <= models
    assert all(key.startswith(("analytics/", "staging/", "intermediate/")) for key in models), models
