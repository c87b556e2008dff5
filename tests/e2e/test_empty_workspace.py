"""A workspace with nothing in it yet (no campaigns, no placement tests) runs clean every time:
every raw table that does not exist yet stands in as an empty relation, and every model builds."""

import subprocess
import sys

import duckdb
import pytest

from helpers import ROOT, env_for, run_cli, serving
from simulator.accounts import AccountsWorkspace
from simulator.placement import PlacementWorkspace
from simulator.workspace import Workspace


@pytest.fixture(scope="module")
def empty_simulator():
    empty = Workspace(campaigns=0, days=5, deleted=0, drafts=0)
    with serving(empty, PlacementWorkspace(tests=0, days=5), AccountsWorkspace(accounts=0, days=5)) as sim:
        yield sim


@pytest.fixture(scope="module")
def two_runs(empty_simulator, tmp_path_factory):
    """The empty workspace's warehouse after two runs as cron starts them: (its root, env, runs)."""
    root = tmp_path_factory.mktemp("empty")
    env = env_for(empty_simulator, root)
    return root, env, [run_cli(env) for _ in range(2)]


def test_every_run_of_an_empty_workspace_builds_every_mart_empty(two_runs):
    root, _, runs = two_runs
    for result in runs:
        assert result.returncode == 0, result.stderr
        assert "dbt build: " in result.stdout and "passed" in result.stdout
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        marts = [name for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'analytics'").fetchall()]
        counts = {name: con.execute(f"select count(*) from analytics.{name}").fetchone()[0] for name in marts}
    assert counts.pop("source_freshness") == 6  # the runs happened: each Instantly family's last run is known
    assert counts.pop("run_ledger") == 13  # 6 families a run, and the first run's dbt
    assert counts.pop("workspaces") == 1  # the workspace itself, empty as it is
    assert len(counts) >= 10
    assert set(counts.values()) == {0}


def test_the_report_of_an_empty_warehouse_shows_no_data_yet_panels(two_runs, tmp_path):
    _, env, _ = two_runs
    output = tmp_path / "report.html"
    result = subprocess.run([sys.executable, "-m", "pipelines", "report", "--output", str(output)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"report: {output}, from the warehouse duckdb:")
    html = output.read_text()
    assert html.count('<div class="empty">') == 9  # every panel, the open alerts too
    assert 'class="plotly-graph-div"' not in html
