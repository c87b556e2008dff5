"""`make demo`: the whole pipeline against the local simulator, no key needed."""

import shutil
from pathlib import Path

import duckdb

from pipelines import runner
from pipelines.cli import print_report
from pipelines.campaign_cleaner import campaign_cleaner
from pipelines.instantly import instantly
from pipelines.transform import dbt_build
from pipelines.simulator.instantly import instantly_app
from pipelines.simulator.server import DEFAULT_API_KEY, Simulator, SimulatorState
from pipelines.simulator.campaign_cleaner import CleanerWorkspace
from pipelines.simulator.placement import PlacementWorkspace
from pipelines.simulator.workspace import Workspace

DEMO_DB = Path("data/demo.duckdb")
DEMO_STATE = Path("data/.demo-pipelines")


def demo(campaigns: int, days: int) -> int:
    """Starts the simulator on a free loopback port, loads everything, prints what landed."""
    for leftover in (DEMO_DB, DEMO_STATE):  # every demo starts from nothing
        shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)
    workspace = Workspace(campaigns=campaigns, days=days)
    placement = PlacementWorkspace(tests=max(campaigns // 2, 2), days=days)
    cleaner = CleanerWorkspace()
    with Simulator(instantly_app(workspace, SimulatorState(), placement, cleaner)) as sim:
        print(f"simulator on {sim.url}: {campaigns} campaigns over {days} days")
        pipeline = runner.make_pipeline(
            pipelines_dir=str(DEMO_STATE), pipeline_name="deliverability_demo", duckdb_file=str(DEMO_DB)
        )
        source = instantly(
            api_key=DEFAULT_API_KEY,
            base_url=sim.url,
            start_date=workspace.first_day.isoformat(),
            max_requests_per_second=100,
        )
        seed_tests = campaign_cleaner(
            api_key=cleaner.api_key, base_url=sim.url, job_ids=list(cleaner.jobs), max_requests_per_second=50
        )
        try:
            for loaded in (source, seed_tests):
                print_report(runner.run(pipeline, [loaded]))
        except Exception as exc:  # noqa: BLE001
            print(f"error: {runner.explain(exc)}")
            return 1
    try:
        dbt_build(str(DEMO_DB))
    except Exception as exc:  # noqa: BLE001
        print(f"error: {runner.explain(exc)}")
        return 1
    print(f"{DEMO_DB} now holds:")
    with duckdb.connect(str(DEMO_DB), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema in ('raw', 'analytics')"
            " and table_name not like '_dlt%' order by 1, 2"
        ).fetchall()
        for schema, table in tables:
            count = con.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
            print(f"  {schema + '.' + table:<60} {count:>8,} rows")
    print(f"query it with any DuckDB client, e.g.: duckdb {DEMO_DB} \"select * from analytics.placement_rates_by_esp limit 5\"")
    return 0
