"""Where one host stops (`python -m simulator.scale`, also in `make bench`): `make run` for an agency
of 10, 50 and 200 client workspaces on one DuckDB warehouse.

Each agency is simulated with clients of different sizes (`--varied`: 1 to 48 campaigns, about 12
on average, 30 days, 50-150 ms per request, 100 req/s per workspace). Its first run (the 30-day
backfill, dbt, alerts, snapshot) and then a daily run are `python -m pipelines run` as cron
starts them, with `PARALLEL_WORKSPACES` at its default. Each run gives its wall and CPU time, the peak
memory of the run's processes together (the pipeline and its dbt, sampled from /proc), the
warehouse's size, its requests and its dbt time (the run ledger's dbt row).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import duckdb
import pendulum

from simulator.agency import agency_key
from simulator.bench import simulator_process

ROOT = Path(__file__).resolve().parents[1]
SIZES = (10, 50, 200)
TYPICAL_CAMPAIGNS = 12
DAYS = 30


def process_tree(pid: int) -> List[int]:
    """A process and its live descendants (none once it has ended)."""
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
        tree.append(current)
    return tree


def tree_rss_mb(pid: int) -> float:
    """The resident memory of a process and its descendants, in MB (0 once it has ended)."""
    total = 0
    for current in process_tree(pid):
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
        except (OSError, StopIteration, ValueError):
            continue
    return total / 1024


def timed_run(env: Dict[str, str]) -> Dict[str, float]:
    """`python -m pipelines run`: its wall time, CPU time and its processes' peak memory together."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    run = subprocess.Popen([sys.executable, "-m", "pipelines", "run"], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    while run.poll() is None:
        peak = max(peak, tree_rss_mb(run.pid))
        time.sleep(0.2)
    out, err = run.communicate()
    if run.returncode != 0:
        raise RuntimeError(f"run failed (exit {run.returncode}): {err[-2000:]}")
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "peak_rss_mb": round(peak)}


def recorded(db: Path) -> Dict[str, float]:
    """The last run's requests and dbt seconds from its ledger, and the warehouse's size."""
    with duckdb.connect(str(db), read_only=True) as con:
        run_id = con.execute("select run_id from raw.run_ledger order by started_at desc limit 1").fetchone()[0]
        requests, dbt_s = con.execute(
            "select sum(request_count), max(epoch(ended_at) - epoch(started_at)) filter (where family = 'dbt')"
            " from raw.run_ledger where run_id = ?", [run_id]).fetchone()
    size = sum(f.stat().st_size for f in db.parent.glob(db.name + "*") if f.suffix in (".duckdb", ".wal"))
    return {"requests": int(requests or 0), "dbt_s": round(float(dbt_s or 0), 1), "warehouse_mb": round(size / 2**20)}


def agency(workspaces: int, root: Path) -> Dict[str, object]:
    """One agency's backfill and daily run."""
    first_day = pendulum.now("UTC").date().subtract(days=DAYS - 1)
    with simulator_process(
        "--workspace", "sparse", "--agency", str(workspaces), "--varied", "--campaigns", str(TYPICAL_CAMPAIGNS),
        "--tests", "2", "--days", str(DAYS), "--rate-limit", "100", "--latency-ms", "50", "150",
    ) as base_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
        env.update(
            PYTHONPATH=str(ROOT), DLT_DATA_DIR=str(root / "dlt"), LOG_DIR=str(root / "logs"),
            DESTINATION__DUCKDB__CREDENTIALS=str(root / "warehouse.duckdb"),
            SOURCES__INSTANTLY__WORKSPACES=json.dumps({f"client-{n}": agency_key(n) for n in range(1, workspaces + 1)}),
            SOURCES__INSTANTLY__BASE_URL=base_url, SOURCES__INSTANTLY__START_DATE=first_day.isoformat(),
            SOURCES__INSTANTLY__MAX_REQUESTS_PER_SECOND="100",
        )
        runs = []
        for kind in ("backfill", "daily"):
            measured = timed_run(env)
            runs.append({"run": kind, **measured, **recorded(root / "warehouse.duckdb")})
    return {"workspaces": workspaces, "runs": runs}


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m simulator.scale", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workspaces", type=int, nargs="+", default=list(SIZES), help="agency sizes (default 10 50 200)")
    p.add_argument("--output", help="also write the results here (JSON)")
    args = p.parse_args()
    results: List[Dict[str, object]] = []
    for workspaces in args.workspaces:
        with tempfile.TemporaryDirectory() as tmp:
            result = agency(workspaces, Path(tmp))
        results.append(result)
        for run in result["runs"]:  # type: ignore[attr-defined]
            print(json.dumps({"workspaces": workspaces, **run}), flush=True)
    if args.output:
        Path(args.output).write_text(json.dumps({"agencies": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
