"""The soak (`python -m simulator.soak`, and part of `make bench`): thirty simulated days of daily
runs, each with a random family fault (or none), the simulator's clock advanced a day between
runs, then one run without a fault (what the last day's fault held back is pulled again).
Afterwards the warehouse must equal, row by row, that of one clean run over the same days; and a
day's requests and wall time must stay flat, not grow with the history loaded.

Runs in-process against a simulator on a loopback thread (its clock and faults are set between
runs), through the same run path as `make run` (`pipelines.flow.load`), without dbt: the raw
tables are what the faults could corrupt.
"""

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, List, Optional

import duckdb
import pendulum
from pendulum import Date

from pipelines import flow
from pipelines.commands.run_log import open_run_log
from pipelines.engine.warehouse import resolve
from pipelines.instantly import plan as instantly_plan
from pipelines.instantly.settings import DEFAULT_WORKSPACE_LABEL
from pipelines.instantly.workspaces import WorkspaceKey
from simulator.accounts import AccountsWorkspace
from simulator.app import simulator_app
from simulator.compare import warehouse_tables
from simulator.placement import PlacementWorkspace
from simulator.server import DEFAULT_API_KEY, Simulator, SimulatorState
from simulator.workspace import Workspace

FAULTS: List[Dict[str, object]] = [
    {},
    {"no_placement_addon": True},
    {"missing_scope": "accounts:read"},
    {"failing_path": "/api/v2/accounts/analytics/daily"},
    {"failing_path": "/api/v2/campaigns/analytics/steps"},
    {"failing_path": "/api/v2/inbox-placement-analytics"},
]
"""A day's fault: none, a family unsupported, or one endpoint failing whatever is retried."""


@dataclass
class SimulatedWorkspace:
    """A workspace whose clock can be set: its data is made for the last day, served up to `today`."""

    campaigns: Workspace
    placement: PlacementWorkspace
    accounts: AccountsWorkspace

    def set_clock(self, day: Date) -> None:
        self.campaigns.today = day
        self.placement.today = day
        Workspace.step_records.cache_clear()  # a day past the old clock was cached as empty
        Workspace.day_totals.cache_clear()


def run_day(warehouse_file: Path, state: Path, url: str, first: Date, day: Date) -> dict:
    """One daily run (no dbt) up to `day`: its ledger outcome, requests and wall time."""
    warehouse = replace(resolve("duckdb", duckdb_file=str(warehouse_file)), state_dir=state)
    started = time.monotonic()

    def plan():
        return instantly_plan.plan(
            lambda line: None, keys=[WorkspaceKey(DEFAULT_WORKSPACE_LABEL, DEFAULT_API_KEY)], base_url=url,
            start_date=first.isoformat(), end_date=day.isoformat(), max_requests_per_second=100,
        )

    outcome = flow.load(warehouse, plan, lambda line: None, lambda line: None)
    return {
        "day": day.isoformat(),
        "requests": outcome.load.requests,
        "wall_s": round(time.monotonic() - started, 2),
        "statuses": {r.spec.family.name: r.status for r in outcome.load.results},
    }


def soak(days: int, campaigns: int, seed: int, root: Path) -> dict:
    last = pendulum.now("UTC").date()
    first = last.subtract(days=days - 1)
    accounts = AccountsWorkspace(accounts=max(campaigns // 2, 3), days=days, today=last)
    world = SimulatedWorkspace(
        Workspace(campaigns=campaigns, days=days, today=last),
        PlacementWorkspace(
            tests=max(campaigns // 5, 2), days=days, today=last, senders=accounts.emails[:4],
            sender_esps=accounts.sender_esps(),
        ),
        accounts,
    )
    state = SimulatorState()
    rng = random.Random(seed)
    runs = []
    with Simulator(simulator_app(world.campaigns, state, world.placement, None, world.accounts)) as sim:
        for n in range(days):
            day = first.add(days=n)
            world.set_clock(day)
            fault = rng.choice(FAULTS)
            state.reset(**fault)
            run = run_day(root / "soak.duckdb", root / "soak-state", sim.url, first, day)
            runs.append(dict(run, fault=fault))
            print(f"soak day {n + 1:>2} {day}  {run['requests']:>5} requests  {run['wall_s']:>5.1f} s"
                  f"  fault {fault or 'none'}", flush=True)
        state.reset()  # the run after the last day's fault, without it: what failed then is pulled again
        recovery = run_day(root / "soak.duckdb", root / "soak-state", sim.url, first, last)
        clean = run_day(root / "clean.duckdb", root / "clean-state", sim.url, first, last)
    soaked, reference = warehouse_tables(root / "soak.duckdb"), warehouse_tables(root / "clean.duckdb")
    differing = sorted(t for t in set(soaked) | set(reference) if soaked.get(t) != reference.get(t))
    return {
        "days": days,
        "campaigns": campaigns,
        "runs": runs,
        "recovery_run": recovery,
        "clean_run": clean,
        "differing_tables": differing,
        "duckdb": size_against_rows(root / "soak.duckdb"),
        "clean_duckdb": size_against_rows(root / "clean.duckdb"),
        "targets": targets(runs, differing),
    }


def size_against_rows(db: Path) -> Dict[str, object]:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'").fetchall()
        rows = sum(con.execute(f'select count(*) from raw."{name}"').fetchone()[0] for (name,) in tables)
    size = db.stat().st_size
    return {"bytes": size, "rows": rows, "bytes_per_row": round(size / max(rows, 1), 1)}


def flat(values: List[float]) -> Optional[float]:
    """The later half's median over the earlier half's (1.0: flat; None: too few days)."""
    half = len(values) // 2
    if half < 3:
        return None
    return round(statistics.median(values[half:]) / max(statistics.median(values[:half]), 1e-9), 2)


def targets(runs: List[dict], differing: List[str]) -> Dict[str, bool]:
    """After the lookback window has filled (the first 8 days), clean days should cost the same."""
    clean_days = [r for r in runs[8:] if not r["fault"]]
    requests = flat([r["requests"] for r in clean_days])
    wall = flat([r["wall_s"] for r in clean_days])
    return {
        "soak: the warehouse equals one clean run's, row by row": not differing,
        "soak: requests per clean day flat (later / earlier median <= 1.25)": requests is None or requests <= 1.25,
        "soak: wall time per clean day flat (later / earlier median <= 1.5)": wall is None or wall <= 1.5,
    }


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m simulator.soak", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--campaigns", type=int, default=20)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--output", default="soak-results.json")
    args = p.parse_args()
    open_run_log("soak")
    with tempfile.TemporaryDirectory() as tmp:
        result = soak(args.days, args.campaigns, args.seed, Path(tmp))
    Path(args.output).write_text(json.dumps(result, indent=2, default=str) + "\n")
    for name, met in result["targets"].items():
        print(f"{'met' if met else 'MISSED':>6}  {name}")
    if result["differing_tables"]:
        print(f"differing tables: {', '.join(result['differing_tables'])}")
    return 0 if all(result["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
