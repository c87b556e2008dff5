"""The same sources on Dagster: two workspace partitions and the dbt assets, materialised
in-process (in a process of their own, so the code location reads this test's settings); and
`make dagster` on the code locations the deployment serves."""

import json
import re
import subprocess
import sys
import time

import duckdb
import pytest

from helpers import KEYS, ROOT
from simulator.compare import warehouse_tables
from simulator.deployment import readme_commands

MATERIALISE = """
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
loads = defs.get_assets_def(dg.AssetKey(["instantly", "instantly_workspaces"]))
results = {label: dg.materialize([loads], partition_key=label, resources=defs.resources, instance=instance).success
           for label in instance.get_dynamic_partitions(WORKSPACE_PARTITIONS)}
models = models_defs.get_assets_def(dg.AssetKey(["analytics", "campaigns"]))
alerts = models_defs.get_assets_def(dg.AssetKey(["alerts"]))
results["dbt"] = dg.materialize([models, alerts], resources=models_defs.resources, instance=instance).success
tick = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 12, 7, 5, tzinfo=timezone.utc))
print(json.dumps([[request.partition_key, request.run_key] for request in daily_loads(tick)]))
print(json.dumps(sensed))
print(json.dumps(sorted(key.to_user_string() for key in selected)))
print(json.dumps(results))
"""
README_SELECTIONS = re.findall(r"--select '(group:\w+)'", (ROOT / "README.md").read_text())
"""The selections the README gives for `dagster asset materialize`."""


@pytest.fixture(scope="module")
def materialised(agency, tmp_path_factory):
    """The workspace partitions the sensor adds, then the dbt assets and the alerts, materialised
    into one DuckDB warehouse: (its directory, what the materialisation printed, when it started),
    beside the asset keys the README's selections pick in that code location."""
    root = tmp_path_factory.mktemp("dagster")
    started = time.time()
    done = subprocess.run(
        [sys.executable, "-c", MATERIALISE, " or ".join(README_SELECTIONS)], cwd=root,
        env=agency.env(root, KEYS, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return root, done.stdout, started


def test_the_sensor_adds_each_configured_workspace_and_removes_one_no_longer_configured(materialised):
    assert json.loads(materialised[1].strip().splitlines()[-3]) == {
        "AddDynamicPartitionsRequest": sorted(KEYS), "DeleteDynamicPartitionsRequest": ["former-client"],
    }


def test_the_daily_schedule_asks_a_run_of_each_workspace_partition_once_per_tick(materialised):
    assert json.loads(materialised[1].strip().splitlines()[-4]) == [
        ["acme", "acme 2026-12-07T05:00:00+00:00"], ["globex", "globex 2026-12-07T05:00:00+00:00"],
    ]


def test_two_workspace_partitions_and_the_dbt_assets_materialise_into_one_warehouse(agency, materialised):
    root, printed, _ = materialised
    assert json.loads(printed.strip().splitlines()[-1]) == {"acme": True, "globex": True, "dbt": True}
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select label from raw.instantly_workspaces order by 1").fetchall() == [("acme",), ("globex",)]
        per_workspace = dict(con.execute(
            "select workspace_label, count(*) from analytics.campaigns group by 1").fetchall())
        expected = {label: sum(1 for c in agency.workspaces[label].campaigns if c.last_active or c.listed)
                    for label in KEYS}
        assert per_workspace == expected
        assert con.execute("select count(distinct workspace_id) from analytics.sender_health_daily").fetchone() == (2,)
        ledger = con.execute(
            "select workspace_label, count(*), count(*) filter (where status = 'ok') from raw.run_ledger group by 1 order by 1"
        ).fetchall()
        assert ledger == [("*", 1, 1), ("acme", 6, 6), ("globex", 6, 6)]
        # the alerts asset evaluated the alerts as make run does, each keyed by its workspace
        assert con.execute("select distinct workspace_label from raw.alert_state where workspace_label <> '*'"
                           " order by 1").fetchall() == [("acme",), ("globex",)]


def test_a_dagster_materialisation_and_make_run_leave_equal_warehouses(materialised, agency_run):
    assert warehouse_tables(materialised[0] / "warehouse.duckdb") == warehouse_tables(agency_run.warehouse.db)


def test_a_dagster_build_keeps_its_artifacts_in_one_directory_not_a_new_one_per_build(materialised):
    from pipelines.outputs.transform import DBT_PROJECT

    results = DBT_PROJECT / "target" / "dagster" / "build" / "run_results.json"
    assert results.stat().st_mtime >= materialised[2]
    assert not [d for d in (DBT_PROJECT / "target").iterdir() if d.stat().st_mtime >= materialised[2]
                and d.name.startswith("dbt_models-")]


def test_make_dagster_serves_the_code_locations_the_deployment_serves():
    """`make dagster` (dagster dev) loads the modules the deployment's code servers load, whose UI
    `test_dagster_deployment` reads: the two commands cannot drift apart."""
    shown = subprocess.run(["make", "-n", "dagster"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    served = [re.search(r"-m (\S+)", command).group(1) for command in readme_commands() if "code-server start" in command]
    assert re.findall(r"-m (\S+)", shown) == served == ["pipelines.commands.orchestration",
                                                         "pipelines.commands.transformation"]


def test_the_readme_selections_pick_the_instantly_tables_campaign_cleaners_and_the_dbt_models(materialised):
    from pipelines.flow import FAMILIES

    assert README_SELECTIONS == ["group:instantly", "group:campaign_cleaner", "group:dbt"]
    keys = set(json.loads(materialised[1].strip().splitlines()[-2]))
    tables = {f"{family.source}/{table}" for family in FAMILIES for table in family.resources}
    models = keys - tables
    assert tables <= keys
    assert {"analytics/campaigns", "analytics/source_freshness"} <= models
    assert all(key.startswith(("analytics/", "staging/", "intermediate/")) for key in models), models
