"""The same sources on Dagster: two workspace partitions and the dbt assets, materialised
in-process (in a process of their own, so the code location reads this test's settings)."""

import json
import subprocess
import sys

import duckdb
import pytest

from helpers import ROOT
from test_agency import KEYS, Agency

pytest.importorskip("dagster_dlt")

MATERIALISE = """
import json
import dagster as dg
from pipelines.orchestration import defs

loads = defs.get_assets_def(dg.AssetKey(["instantly", "instantly_workspaces"]))
results = {label: dg.materialize([loads], partition_key=label, resources=defs.resources).success
           for label in %(labels)r}
models = defs.get_assets_def(dg.AssetKey(["campaigns"]))
results["dbt"] = dg.materialize([models], resources=defs.resources).success
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def agency():
    simulated = Agency()
    with simulated.server:
        yield simulated


def test_two_workspace_partitions_and_the_dbt_assets_materialise_into_one_warehouse(agency, tmp_path):
    env = agency.env(tmp_path, KEYS, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", MATERIALISE % {"labels": sorted(KEYS)}], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"acme": True, "globex": True, "dbt": True}
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
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
        assert ledger == [("*", 1, 1), ("acme", 5, 5), ("globex", 5, 5)]
