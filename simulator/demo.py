"""`make demo` (`python -m simulator.demo`): the whole pipeline against the local simulator, no key needed."""

import argparse
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

import duckdb

from pipelines.campaign_cleaner import plan as campaign_cleaner_plan
from pipelines.commands.run_log import open_run_log
from pipelines.common.dates import utc_today
from pipelines.common.sources import Plan
from pipelines.console import dbt_progress, fail, progress_board, say, summary
from pipelines.engine.explain import explain
from pipelines.engine.lock import run_lock
from pipelines.engine.warehouse import DEMO_DUCKDB, our_tables_sql, resolve
from pipelines.flow import RunOutcome, load_and_build
from pipelines.instantly import plan as instantly_plan
from pipelines.instantly.settings import DEFAULT_WORKSPACE_LABEL
from pipelines.instantly.workspaces import WorkspaceKey
from pipelines.outputs.report import write_report
from simulator.accounts import AccountsWorkspace
from simulator.app import simulator_app
from simulator.campaign_cleaner import CleanerWorkspace
from simulator.placement import PlacementWorkspace
from simulator.server import DEFAULT_API_KEY, Simulator, SimulatorState
from simulator.workspace import Workspace

DEMO_DB = Path(DEMO_DUCKDB)
DEMO_STATE = Path("data/.demo-pipelines")
REPORT = Path("data/report.html")


def demo(campaigns: int, days: int) -> int:
    """Starts the simulator on a free loopback port, loads everything, prints what landed."""
    started = time.monotonic()
    log_file = open_run_log("demo")
    workspace = Workspace(campaigns=campaigns, days=days)
    accounts = AccountsWorkspace(accounts=max(campaigns, 1), days=days)
    placement = PlacementWorkspace(
        tests=max(campaigns // 2, 2), days=days, senders=accounts.emails, sender_esps=accounts.sender_esps()
    )
    cleaner = CleanerWorkspace()
    warehouse = replace(resolve("duckdb", duckdb_file=str(DEMO_DB)), state_dir=DEMO_STATE.resolve())
    outcome = RunOutcome()
    try:
        app = simulator_app(workspace, SimulatorState(), placement, cleaner, accounts)
        with run_lock(warehouse, "demo"), Simulator(app) as sim:
            for leftover in (DEMO_DB, DEMO_STATE):  # every demo starts from nothing
                shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)
            say(f"simulator on {sim.url}: {campaigns} campaigns over {days} days")

            def plan() -> Plan:
                return instantly_plan.plan(
                    say, keys=[WorkspaceKey(DEFAULT_WORKSPACE_LABEL, DEFAULT_API_KEY)],
                    base_url=sim.url, start_date=workspace.first_day.isoformat(), max_requests_per_second=100,
                ) + campaign_cleaner_plan.plan(
                    say, api_key=cleaner.api_key, base_url=sim.url, job_ids=list(cleaner.jobs), max_requests_per_second=50,
                )

            outcome = load_and_build(
                warehouse, plan, say, fail, log_file, board=progress_board, dbt_board=dbt_progress,
            )
        written = write_report(warehouse, REPORT.resolve(), utc_today())
        say(f"report: {written.path}, from {written.source}")
    except Exception as exc:  # noqa: BLE001
        fail(explain(exc))
        return summary(outcome.load, started, log_file, "failed")
    show_tables(DEMO_DB)
    return summary(outcome.load, started, log_file, "; ".join(outcome.problems))


def show_tables(db: Path) -> None:
    say(f"{db} now holds:")
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute(our_tables_sql(("raw", "analytics"))).fetchall()
        for schema, table in tables:
            count = con.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
            say(f"  {schema + '.' + table:<60} {count:>8,} rows")
    say(f"query it with any DuckDB client, e.g.: duckdb {db} \"select * from analytics.placement_rates_by_esp limit 5\"")


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m simulator.demo", description=__doc__)
    p.add_argument("--campaigns", type=int, default=8, help="simulated campaigns (default 8)")
    p.add_argument("--days", type=int, default=30, help="simulated days of history (default 30)")
    args = p.parse_args()
    return demo(args.campaigns, args.days)


if __name__ == "__main__":
    sys.exit(main())
