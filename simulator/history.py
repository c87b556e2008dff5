"""A large history for timing dbt (`python -m simulator.history`, also in `make bench`): by default
two years x 500 campaigns x 5 workspaces, written straight into the raw tables.

The simulator's workspace (BASE_CAMPAIGNS campaigns over BLOCK_DAYS days, with its placement tests
and accounts) is loaded once through the pipeline, so every raw table has the pipeline's own
schema and rows; those rows are then copied in SQL: each workspace's ids get a suffix, each
campaign is copied until there are `campaigns`, and each campaign's days are copied back in
time, block after block, until they cover `days`. Then:

- a full `dbt build` on the whole history;
- a daily load (the newest day's rows copied to the next day) and the `dbt build` after it.
"""

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict

import duckdb
import pendulum

from pipelines import flow
from pipelines.commands.run_log import open_run_log
from pipelines.common.sources import Plan
from pipelines.console import error_lines
from pipelines.engine.warehouse import NOT_DLT, resolve
from pipelines.instantly import plan as instantly_plan
from pipelines.instantly.settings import DEFAULT_WORKSPACE_LABEL
from pipelines.instantly.workspaces import WorkspaceKey
from pipelines.outputs.transform import dbt_build
from simulator.accounts import AccountsWorkspace
from simulator.app import simulator_app
from simulator.placement import PlacementWorkspace
from simulator.server import DEFAULT_API_KEY, Simulator, SimulatorState
from simulator.workspace import Workspace

BASE_CAMPAIGNS = 20
BLOCK_DAYS = 30
CAMPAIGN_TABLES = ("instantly_campaigns", "instantly_campaign_analytics")
"""Tables (and their child tables) whose rows are per campaign: copied per campaign copy."""
DAY_TABLES = (
    "instantly_campaign_analytics_daily", "instantly_campaign_analytics_steps", "instantly_campaign_analytics_overview",
)
"""Tables whose rows are per campaign and UTC day: also copied back in time, block after block."""
DLT_IDS = ("_dlt_id", "_dlt_parent_id", "_dlt_root_id")
MARTS_SHOWN = ("campaigns", "campaign_daily", "campaign_step_daily", "inbox_placement", "sender_health_daily")
"""Marts whose rows the results show: that the history reached them."""


def load_base(db: Path) -> None:
    """The simulator's workspace loaded through the pipeline (no dbt)."""
    accounts = AccountsWorkspace(accounts=10, days=BLOCK_DAYS)
    placement = PlacementWorkspace(tests=5, days=BLOCK_DAYS, senders=accounts.emails[:4], sender_esps=accounts.sender_esps())
    workspace = Workspace(campaigns=BASE_CAMPAIGNS, days=BLOCK_DAYS)
    state = SimulatorState(rate_limit=100)
    with Simulator(simulator_app(workspace, state, placement, None, accounts)) as sim:
        def plan() -> Plan:
            return instantly_plan.plan(
                lambda line: None, keys=[WorkspaceKey(DEFAULT_WORKSPACE_LABEL, DEFAULT_API_KEY)],
                base_url=sim.url, start_date=workspace.first_day.isoformat(), max_requests_per_second=100,
            )

        outcome = flow.load(resolve("duckdb", duckdb_file=str(db)), plan, lambda line: None, print)
        if outcome.load.failed:
            raise RuntimeError("; ".join(error_lines(outcome.load)))


def copied(con: duckdb.DuckDBPyConnection, table: str, workspaces: int, copies: int, blocks: int) -> str:
    """The SELECT that copies `table`'s rows: per workspace, per campaign copy, per day block."""
    per_campaign = table.startswith(CAMPAIGN_TABLES)
    per_day = table in DAY_TABLES
    dims = [f"range({workspaces}) as w(w)"]
    suffix = "'-w' || w"
    if per_campaign:
        dims.append(f"range({copies}) as k(k)")
        suffix += " || '-c' || k"
    if per_day:
        dims.append(f"range({blocks}) as b(b)")
    columns = con.execute(
        "select column_name, data_type from information_schema.columns where table_schema = 'raw' and table_name = ?"
        " order by ordinal_position", [table]).fetchall()
    out = []
    for name, data_type in columns:
        quoted = f'"{name}"'
        if name in DLT_IDS:
            out.append(f"{quoted} || {suffix}{' || ' + repr('-b') + ' || b' if per_day else ''} as {quoted}")
        elif data_type == "VARCHAR" and not name.startswith("_dlt") and (name in ("id", "label") or name.endswith("_id")):
            out.append(f"{quoted} || {suffix} as {quoted}")
        elif per_day and name == "date":
            out.append(f"{quoted} - cast(b * {BLOCK_DAYS} as integer) as {quoted}")
        else:
            out.append(quoted)
    return f"select {', '.join(out)} from raw.\"{table}\", {', '.join(dims)}"


def widen(db: Path, workspaces: int, campaigns: int, days: int) -> Dict[str, int]:
    """Copies the base rows into the whole history; returns rows per table."""
    copies, blocks = math.ceil(campaigns / BASE_CAMPAIGNS), math.ceil(days / BLOCK_DAYS)
    counts = {}
    with duckdb.connect(str(db)) as con:
        tables = [name for (name,) in con.execute(
            f"select table_name from information_schema.tables where table_schema = 'raw' and table_name {NOT_DLT}"
            " and table_name like 'instantly%'").fetchall()]
        for table in tables:
            con.execute(f'create table raw."{table}__wide" as {copied(con, table, workspaces, copies, blocks)}')
            con.execute(f'drop table raw."{table}"')
            con.execute(f'alter table raw."{table}__wide" rename to "{table}"')
            counts[table] = con.execute(f'select count(*) from raw."{table}"').fetchone()[0]
        con.execute("checkpoint")
    return counts


def daily_load(db: Path) -> int:
    """The newest day's rows of every day table copied to the next day: what a daily load adds."""
    added = 0
    with duckdb.connect(str(db)) as con:
        for table in DAY_TABLES:
            columns = [name for (name,) in con.execute(
                "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?"
                " order by ordinal_position", [table]).fetchall()]
            select = ", ".join(
                '"date" + 1' if name == "date" else f"\"{name}\" || '-next'" if name in DLT_IDS else f'"{name}"'
                for name in columns)
            added += con.execute(
                f'insert into raw."{table}" select {select} from raw."{table}"'
                f' where "date" = (select max("date") from raw."{table}")').fetchone()[0]
    return added


def history(workspaces: int, campaigns: int, days: int, root: Path) -> Dict[str, object]:
    db = root / "warehouse.duckdb"
    started = time.monotonic()
    load_base(db)
    rows = widen(db, workspaces, campaigns, days)
    generated_s = time.monotonic() - started
    warehouse = resolve("duckdb", duckdb_file=str(db))
    started = time.monotonic()
    full = dbt_build(warehouse, log_file=root / "dbt-full.log")
    full_s = time.monotonic() - started
    added = daily_load(db)
    started = time.monotonic()
    after = dbt_build(warehouse, log_file=root / "dbt-daily.log")
    daily_s = time.monotonic() - started
    with duckdb.connect(str(db), read_only=True) as con:
        marts = {name: con.execute(f"select count(*) from analytics.{name}").fetchone()[0] for name in MARTS_SHOWN}
    return {
        "workspaces": workspaces, "campaigns": campaigns, "days": days, "generated_s": round(generated_s, 1),
        "raw_rows": sum(rows.values()), "rows": rows, "duckdb_mb": round(db.stat().st_size / 1e6, 1),
        "full_build_s": round(full_s, 1), "full_build": full.line,
        "marts": marts, "daily_rows_added": added, "build_after_daily_load_s": round(daily_s, 1),
        "build_after_daily_load": after.line,
        "measured_on": pendulum.now("UTC").to_date_string(),
    }


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m simulator.history", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workspaces", type=int, default=5)
    p.add_argument("--campaigns", type=int, default=500, help="campaigns per workspace")
    p.add_argument("--days", type=int, default=730)
    p.add_argument("--output", help="also write the results here (JSON)")
    args = p.parse_args()
    open_run_log("history")  # dlt's log to data/logs/, like a run's: the console shows the results
    with tempfile.TemporaryDirectory() as tmp:
        result = history(args.workspaces, args.campaigns, args.days, Path(tmp))
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}))
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
