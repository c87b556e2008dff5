"""`make bench` (`python -m simulator.bench`): load simulated workspaces with each request plan and
compare requests and wall time with the rate-limit floor (requests ÷ the workspace's limit).

Every run gets a fresh simulator process (50-150 ms per request, a workspace limit of R req/s)
and runs the pipeline in a process of its own, so each run's peak memory is its own. The runs:

- a backfill with each plan on the dense and the sparse workspace (at R);
- a daily run (lookback 7) after each sparse backfill;
- an over-configured backfill: the pipeline told 1.5 R against a workspace limited at R;
- a smaller sparse backfill at R = 10, for the floor ratio at a low limit.

Results go to `bench-results.json` as `runs: [...]`, one object per run, with the targets checked.
"""

import argparse
import json
import resource
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional

from pipelines import runner
from pipelines.instantly import instantly
from pipelines.run_log import open_run_log
from pipelines.warehouse import resolve
from simulator.__main__ import WORKSPACES
from simulator.server import DEFAULT_API_KEY


@dataclass(frozen=True)
class Run:
    """One pipeline run of the bench."""

    workspace: str  # "dense" | "sparse"
    plan: str  # "activity" | "exhaustive"
    kind: str  # "backfill" | "daily"
    rate_limit: float  # the workspace's limit
    configured_rate: float  # the pipeline's MAX_REQUESTS_PER_SECOND
    campaigns: int
    days: int
    tests: int
    state: str  # the directory of the warehouse and pipeline state (a daily run reuses its backfill's)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the simulator did not start on port {port}")


def measure(run: Run, base_url: str) -> Dict[str, object]:
    """The pipeline run itself (in the child process): its requests, wall time and memory."""
    open_run_log("bench")  # dlt's log to data/logs/, like a run's: the console shows the results
    state = Path(run.state)
    pipeline = runner.make_pipeline(
        resolve("duckdb", duckdb_file=str(state / "bench.duckdb")), pipelines_dir=str(state / "pipelines"),
        pipeline_name="bench",
    )
    first_day = WORKSPACES[run.workspace](campaigns=run.campaigns, days=run.days).first_day
    started = time.monotonic()
    report = runner.run(pipeline, lambda stats: instantly(
        api_key=DEFAULT_API_KEY,
        base_url=base_url,
        start_date=first_day.isoformat(),
        max_requests_per_second=run.configured_rate,
        request_plan=run.plan,
        run=stats,
    ))
    wall = time.monotonic() - started
    stats = report.stats.service("Instantly")
    requests = sum(report.requests.values())
    floor = requests / run.rate_limit
    return {
        **{k: v for k, v in asdict(run).items() if k != "state"},
        "requests": requests,
        "wall_s": round(wall, 2),
        "floor_s": round(floor, 2),
        "ratio": round(wall / floor, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "retries": stats.retries,
        "status_429": sum(stats.throttled_by_resource.values()),
        "status_429_share": round(sum(stats.throttled_by_resource.values()) / max(requests, 1), 4),
        "rows": report.total_rows,
        "by_endpoint": dict(sorted(stats.requests.items())),
    }


def run_in_child(run: Run) -> Dict[str, object]:
    """A fresh simulator of the run's workspace, and the run in a process of its own."""
    port = free_port()
    simulator = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", str(port), "--workspace", run.workspace,
         "--campaigns", str(run.campaigns), "--tests", str(run.tests), "--days", str(run.days),
         "--rate-limit", str(run.rate_limit), "--latency-ms", "50", "150"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        child = subprocess.run(
            [sys.executable, "-m", "simulator.bench", "--child", json.dumps(asdict(run)),
             "--base-url", f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, check=True,
        )
    finally:
        simulator.terminate()
        simulator.wait()
    return json.loads(child.stdout.strip().splitlines()[-1])


def plan_runs(rate_limit: float, campaigns: int, days: int, tests: int, root: Path) -> List[Run]:
    def run(workspace: str, plan: str, kind: str = "backfill", limit: float = rate_limit,
            configured: Optional[float] = None, size: tuple = (campaigns, days), state: str = "") -> Run:
        state = state or str(root / f"{workspace}-{plan}-{limit:g}-{configured or limit:g}")
        return Run(workspace, plan, kind, limit, configured or limit, size[0], size[1], tests, state)

    sparse_activity, sparse_exhaustive = run("sparse", "activity"), run("sparse", "exhaustive")
    return [
        run("dense", "exhaustive"),
        run("dense", "activity"),
        sparse_exhaustive,
        run("sparse", "exhaustive", "daily", state=sparse_exhaustive.state),
        sparse_activity,
        run("sparse", "activity", "daily", state=sparse_activity.state),
        run("sparse", "activity", configured=1.5 * rate_limit),
        run("sparse", "activity", limit=10, size=(max(campaigns // 5, 10), max(days // 3, 10))),
    ]


def targets(runs: List[Dict[str, object]]) -> Dict[str, bool]:
    """The request, floor, throttling and memory targets, checked on this bench's runs."""
    def find(**where: object) -> Dict[str, object]:
        return next(r for r in runs if all(r[k] == v for k, v in where.items()))

    def share(workspace: str, kind: str) -> float:
        """The activity plan's requests as a share of the exhaustive plan's, at the limit."""
        at_limit = {"workspace": workspace, "kind": kind, "configured_rate": runs[0]["rate_limit"]}
        return find(plan="activity", **at_limit)["requests"] / find(plan="exhaustive", **at_limit)["requests"]

    fair = [r for r in runs if r["configured_rate"] == r["rate_limit"] and r["kind"] == "backfill"]
    over = [r for r in runs if r["configured_rate"] > r["rate_limit"]]
    return {
        "sparse backfill: activity requests <= 40% of exhaustive": share("sparse", "backfill") <= 0.40,
        "sparse daily: activity requests <= 40% of exhaustive": share("sparse", "daily") <= 0.40,
        "dense backfill: activity requests <= 101% of exhaustive": share("dense", "backfill") <= 1.01,
        "backfills at the limit: wall <= 1.2 x floor": all(r["ratio"] <= 1.2 for r in fair),
        "over-configured: 429s <= 2% of requests": all(r["status_429_share"] <= 0.02 for r in over),
        "over-configured: wall <= 1.3 x floor": all(r["ratio"] <= 1.3 for r in over),
        "peak RSS < 500 MB": all(r["peak_rss_mb"] < 500 for r in runs),
    }


def bench(rate_limit: float, campaigns: int, days: int, tests: int, output: str) -> int:
    started = time.monotonic()
    results: List[Dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in plan_runs(rate_limit, campaigns, days, tests, Path(tmp)):
            Path(run.state).mkdir(exist_ok=True)
            result = run_in_child(run)
            results.append(result)
            print(
                f"{result['workspace']:>6} {result['plan']:>10} {result['kind']:>8}"
                f"  R={result['rate_limit']:g} configured={result['configured_rate']:g}"
                f"  {result['requests']:>6,} requests  wall {result['wall_s']:>7.1f} s"
                f"  floor {result['floor_s']:>7.1f} s  ratio {result['ratio']:.3f}"
                f"  429s {result['status_429']:>4}  {result['peak_rss_mb']:>5.0f} MB",
                flush=True,
            )
    checked = targets(results)
    summary = {"runs": results, "targets": checked, "bench_minutes": round((time.monotonic() - started) / 60, 1)}
    Path(output).write_text(json.dumps(summary, indent=2) + "\n")
    for name, met in checked.items():
        print(f"{'met' if met else 'MISSED':>6}  {name}")
    print(f"bench: {summary['bench_minutes']} minutes, results in {output}")
    return 0 if all(checked.values()) else 1


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m simulator.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rate-limit", type=float, default=100.0, help="the workspace's requests/second (default 100)")
    p.add_argument("--campaigns", type=int, default=200, help="simulated campaigns (default 200)")
    p.add_argument("--days", type=int, default=90, help="days to backfill (default 90)")
    p.add_argument("--tests", type=int, default=20, help="inbox placement tests (default 20)")
    p.add_argument("--output", default="bench-results.json", help="where to write the results")
    p.add_argument("--child", help=argparse.SUPPRESS)  # one run, as JSON: what run_in_child starts
    p.add_argument("--base-url", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(measure(Run(**json.loads(args.child)), args.base_url)))
        return 0
    return bench(args.rate_limit, args.campaigns, args.days, args.tests, args.output)


if __name__ == "__main__":
    sys.exit(main())
