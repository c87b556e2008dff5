"""Where each second of a daily run goes (`python -m simulator.daily_cost`, also in `make bench`).

A sparse workspace (200 campaigns x 90 days by default, 50-150 ms per request, 100 req/s) is
backfilled once without dbt, then run daily as cron runs it (`python -m pipelines run`: the
lookback's days, dbt, the snapshot), twice. Each daily run's wall time is split with what the
run itself recorded:

- requests floor: requests / the workspace limit (what no client can beat);
- load: the families' extract, normalise and load (the run ledger's start and end), of which
  the floor is part;
- dbt: from the load's end to dbt's end (the ledger's dbt row), of which dbt's own node time
  (`run_results.json`: `elapsed_time`) is part; dbt starts and parses beside the load, so the
  rest is what of its start and parse the load did not cover, and its artifacts;
- snapshot: the BI snapshot's copy (its line);
- the rest: the process start, imports, the workspace preflight and the ledger writes.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import duckdb
import pendulum

from simulator.bench import simulator_process
from simulator.server import DEFAULT_API_KEY

ROOT = Path(__file__).resolve().parents[1]


def cli(env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "pipelines", "run", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"run failed: {done.stderr[-2000:]}")
    return done


def seconds_between(rows: List[tuple]) -> float:
    """From the earliest start to the latest end of ledger rows (started_at, ended_at)."""
    return (max(end for _, end in rows) - min(start for start, _ in rows)).total_seconds()


def breakdown(db: Path, target: Path, printed: str, wall: float, rate_limit: float) -> Dict[str, float]:
    """One daily run's wall time, split by what it recorded (see the module's docstring)."""
    with duckdb.connect(str(db), read_only=True) as con:
        run_id = con.execute("select run_id from raw.run_ledger order by started_at desc limit 1").fetchone()[0]
        families = con.execute(
            "select started_at, ended_at from raw.run_ledger where run_id = ? and family <> 'dbt'", [run_id]).fetchall()
        dbt = con.execute(
            "select started_at, ended_at from raw.run_ledger where run_id = ? and family = 'dbt'", [run_id]).fetchall()
        requests = con.execute("select sum(request_count) from raw.run_ledger where run_id = ?", [run_id]).fetchone()[0]
    results = json.loads((target / "run_results.json").read_text())
    snapshot = re.search(r"^snapshot for BI tools: .* in ([\d.]+)s$", printed, re.M)
    parts = {
        "wall_s": wall,
        "requests": requests,
        "requests_floor_s": requests / rate_limit,
        "load_s": seconds_between(families),
        "dbt_s": seconds_between(dbt),
        "dbt_nodes_s": results["elapsed_time"],
        "snapshot_s": float(snapshot.group(1)) if snapshot else 0.0,
    }
    parts["load_overhead_s"] = parts["load_s"] - parts["requests_floor_s"]
    parts["dbt_start_and_parse_s"] = parts["dbt_s"] - parts["dbt_nodes_s"]
    parts["rest_s"] = wall - parts["load_s"] - parts["dbt_s"] - parts["snapshot_s"]
    return {name: round(value, 1) if isinstance(value, float) else value for name, value in parts.items()}


def daily_cost(campaigns: int, days: int, rate_limit: float, root: Path) -> Dict[str, object]:
    today = pendulum.now("UTC").date()
    with simulator_process(
        "--workspace", "sparse", "--campaigns", str(campaigns), "--tests", "20", "--days", str(days),
        "--rate-limit", str(rate_limit), "--latency-ms", "50", "150",
    ) as base_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
        env.update(
            PYTHONPATH=str(ROOT), DLT_DATA_DIR=str(root / "dlt"), LOG_DIR=str(root / "logs"),
            DESTINATION__DUCKDB__CREDENTIALS=str(root / "warehouse.duckdb"),
            SOURCES__INSTANTLY__API_KEY=DEFAULT_API_KEY, SOURCES__INSTANTLY__BASE_URL=base_url,
            SOURCES__INSTANTLY__START_DATE=today.subtract(days=days - 1).isoformat(),
            SOURCES__INSTANTLY__MAX_REQUESTS_PER_SECOND=str(rate_limit),
        )
        started = time.monotonic()
        cli(env, "--skip-dbt")
        backfill_s = time.monotonic() - started
        runs = []
        for name in ("daily run", "the next daily run"):
            started = time.monotonic()
            done = cli(env)
            wall = time.monotonic() - started
            target = next((root / "dlt").rglob("dbt-target"))
            runs.append({"run": name, **breakdown(root / "warehouse.duckdb", target, done.stdout, wall, rate_limit)})
    return {"campaigns": campaigns, "days": days, "rate_limit": rate_limit, "backfill_s": round(backfill_s, 1),
            "daily_runs": runs}


LOAD_TARGET = 1.2
WHOLE_TARGET = 2.0


def daily_targets(result: Dict[str, object]) -> Dict[str, bool]:
    """A daily run costs little more than its requests: its load within 1.2x the requests floor,
    the whole run (load, dbt, alerts, snapshot) within 2x, on every daily run measured."""
    runs = result["daily_runs"]
    assert isinstance(runs, list)
    return {
        f"daily run: load <= {LOAD_TARGET} x requests floor": all(
            r["load_s"] <= LOAD_TARGET * r["requests_floor_s"] for r in runs),
        f"daily run: whole run <= {WHOLE_TARGET} x requests floor": all(
            r["wall_s"] <= WHOLE_TARGET * r["requests_floor_s"] for r in runs),
    }


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m simulator.daily_cost", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--campaigns", type=int, default=200)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--rate-limit", type=float, default=100.0)
    p.add_argument("--output", help="also write the results here (JSON)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = daily_cost(args.campaigns, args.days, args.rate_limit, Path(tmp))
    runs = result["daily_runs"]
    assert isinstance(runs, list)
    for run in runs:
        print(json.dumps(run))
    result["targets"] = checked = daily_targets(result)
    for name, met in checked.items():
        print(f"{'met' if met else 'MISSED':>6}  {name}")
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n")
    return 0 if all(checked.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
