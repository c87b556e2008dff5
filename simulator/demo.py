"""`make demo`: the whole pipeline against the local simulator, no key needed."""

import shutil
import time
from pathlib import Path

import duckdb

from pipelines import runner
from pipelines.campaign_cleaner import campaign_cleaner
from pipelines.console import fail, say, summary
from pipelines.explain import explain
from pipelines.instantly import instantly
from pipelines.run_log import open_run_log
from pipelines.simulator.campaign_cleaner import CleanerWorkspace
from pipelines.simulator.instantly import instantly_app
from pipelines.simulator.placement import PlacementWorkspace
from pipelines.simulator.server import DEFAULT_API_KEY, Simulator, SimulatorState
from pipelines.simulator.workspace import Workspace
from pipelines.transform import dbt_build
from pipelines.warehouse import DEMO_DUCKDB, resolve

DEMO_DB = Path(DEMO_DUCKDB)
DEMO_STATE = Path("data/.demo-pipelines")


def demo(campaigns: int, days: int) -> int:
    """Starts the simulator on a free loopback port, loads everything, prints what landed."""
    started = time.monotonic()
    log_file = open_run_log("demo")
    for leftover in (DEMO_DB, DEMO_STATE):  # every demo starts from nothing
        shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)
    workspace = Workspace(campaigns=campaigns, days=days)
    placement = PlacementWorkspace(tests=max(campaigns // 2, 2), days=days)
    cleaner = CleanerWorkspace()
    warehouse = resolve("duckdb", duckdb_file=str(DEMO_DB))
    outcome = runner.LoadOutcome()
    try:
        with Simulator(instantly_app(workspace, SimulatorState(), placement, cleaner)) as sim:
            say(f"simulator on {sim.url}: {campaigns} campaigns over {days} days")
            pipeline = runner.make_pipeline(
                warehouse, pipelines_dir=str(DEMO_STATE), pipeline_name="deliverability_demo"
            )
            specs = [
                runner.SourceSpec("instantly", lambda: instantly(
                    api_key=DEFAULT_API_KEY, base_url=sim.url,
                    start_date=workspace.first_day.isoformat(), max_requests_per_second=100,
                )),
                runner.SourceSpec("campaign_cleaner", lambda: campaign_cleaner(
                    api_key=cleaner.api_key, base_url=sim.url, job_ids=list(cleaner.jobs),
                    max_requests_per_second=50,
                )),
            ]
            outcome = runner.load_all(pipeline, specs, say)
        for line in outcome.errors:
            fail(line)
        if outcome.errors:
            return summary(outcome, started, log_file, "dbt skipped: a source failed")
        say(dbt_build(warehouse, log_file=log_file))
    except Exception as exc:  # noqa: BLE001
        fail(explain(exc))
        return summary(outcome, started, log_file, "failed")
    show_tables(DEMO_DB)
    return summary(outcome, started, log_file)


def show_tables(db: Path) -> None:
    say(f"{db} now holds:")
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema in ('raw', 'analytics')"
            " and table_name not like '_dlt%' order by 1, 2"
        ).fetchall()
        for schema, table in tables:
            count = con.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
            say(f"  {schema + '.' + table:<60} {count:>8,} rows")
    say(f"query it with any DuckDB client, e.g.: duckdb {db} \"select * from analytics.placement_rates_by_esp limit 5\"")
