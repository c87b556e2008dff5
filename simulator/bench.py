"""`make bench` (`python -m simulator.bench`): load simulated workspaces with each request plan and
compare requests and wall time with the rate-limit floor (requests ÷ the workspace's limit).

Every run gets a fresh simulator process (50-150 ms per request, a workspace limit of R req/s)
and runs the pipeline in a process of its own, so each run's peak memory is its own. The runs:

- a backfill with each plan on the dense and the sparse workspace (at R);
- a daily run (lookback 7) after each sparse backfill;
- an over-configured backfill: the pipeline told 1.5 L against a workspace that leaves it L = 0.4 R
  (other tools use the rest; the pipeline's budget cannot exceed 100);
- a smaller sparse backfill at R = 10, for the floor ratio at a low limit;
- an agency: 10 workspaces of 50 campaigns x 30 days, each limited at 10 req/s, loaded at once;
  its ratio is wall / the slowest workspace's floor;
- the soak (`simulator.soak`): 30 simulated days of daily runs with random family faults, then
  the warehouse compared with one clean run's;
- where a daily run's seconds go (`simulator.daily_cost`): requests floor, load, dbt, snapshot;
- dbt on a large history (`simulator.history`): 2 years x 500 campaigns x 5 workspaces, a full
  build and the build after a daily load;
- where one host stops (`simulator.scale`): `make run` for agencies of 10, 50 and 200 clients of
  varied sizes, their backfill and a daily run: wall, CPU, peak memory, warehouse size;
- beyond one host (`simulator.dagster_scale`, alone with `--only dagster`): 50 clients loaded by
  the README's Dagster deployment into PostgreSQL, compared row by row with `make run`'s load.

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
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Dict, Iterator, List, Optional

from pipelines.commands.run_log import open_run_log
from pipelines.console import error_lines
from pipelines.engine import runner
from pipelines.engine.warehouse import resolve
from pipelines.instantly import plan as instantly_plan
from pipelines.instantly.settings import DEFAULT_WORKSPACE_LABEL
from pipelines.instantly.workspaces import WorkspaceKey
from simulator.agency import agency_key
from simulator.server import DEFAULT_API_KEY, free_port
from simulator.workspace import WORKSPACES


@dataclass(frozen=True)
class Run:
    """One pipeline run of the bench."""

    workspace: str  # "dense" | "sparse" | "agency" (dense workspaces, `workspaces` of them)
    plan: str  # "activity" | "exhaustive"
    kind: str  # "backfill" | "daily"
    rate_limit: float  # the workspace's limit
    configured_rate: float  # the pipeline's MAX_REQUESTS_PER_SECOND
    campaigns: int
    days: int
    tests: int
    state: str  # the directory of the warehouse and pipeline state (a daily run reuses its backfill's)
    workspaces: int = 1


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
    warehouse = replace(resolve("duckdb", duckdb_file=str(state / "bench.duckdb")), state_dir=state / "pipelines")
    first_day = WORKSPACES["sparse" if run.workspace == "sparse" else "dense"](
        campaigns=run.campaigns, days=run.days).first_day

    keys = (
        [WorkspaceKey(f"client-{n}", agency_key(n)) for n in range(1, run.workspaces + 1)] if run.workspaces > 1
        else [WorkspaceKey(DEFAULT_WORKSPACE_LABEL, DEFAULT_API_KEY)]
    )
    plan = instantly_plan.plan(
        lambda line: None, keys=keys, base_url=base_url, start_date=first_day.isoformat(),
        max_requests_per_second=run.configured_rate, request_plan=run.plan,
    )
    started = time.monotonic()
    plan.parallel = len(plan.specs)  # every workspace at once: the bench measures the limiter, not the setting
    outcome = runner.load_all(runner.pipelines_of(warehouse), plan)
    if error_lines(outcome):
        raise RuntimeError("; ".join(error_lines(outcome)))
    reports = outcome.reports
    wall = time.monotonic() - started
    services = [report.stats.service("Instantly") for report in reports]
    requests = sum(stats.total for stats in services)
    per_workspace: Counter = Counter()
    for result in outcome.results:
        per_workspace[result.spec.workspace] += result.stats.service("Instantly").total
    floor = max(per_workspace.values()) / run.rate_limit  # the slowest workspace's
    throttled = sum(sum(stats.throttled_by_resource.values()) for stats in services)
    by_endpoint: Counter = Counter()
    for stats in services:
        by_endpoint.update(stats.requests)
    return {
        **{k: v for k, v in asdict(run).items() if k != "state"},
        "requests": requests,
        "wall_s": round(wall, 2),
        "floor_s": round(floor, 2),
        "ratio": round(wall / floor, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "retries": sum(stats.retries for stats in services),
        "status_429": throttled,
        "status_429_share": round(throttled / max(requests, 1), 4),
        "rows": sum(report.total_rows for report in reports),
        "by_endpoint": dict(sorted(by_endpoint.items())),
    }


@contextmanager
def simulator_process(*args: str, start_s: float = 30) -> Iterator[str]:
    """`python -m simulator ARGS` on a free loopback port in a process of its own, until the block
    ends: its base URL. `start_s`: how long it may take to make its data and listen."""
    port = free_port()
    simulator = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", str(port), *args],
        cwd=Path(__file__).resolve().parents[1], stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, start_s)
        yield f"http://127.0.0.1:{port}"
    finally:
        simulator.terminate()
        simulator.wait()


def run_in_child(run: Run) -> Dict[str, object]:
    """A fresh simulator of the run's workspace, and the run in a process of its own."""
    with simulator_process(
        "--workspace", "sparse" if run.workspace == "sparse" else "dense",
        "--agency", str(run.workspaces if run.workspaces > 1 else 0),
        "--campaigns", str(run.campaigns), "--tests", str(run.tests), "--days", str(run.days),
        "--rate-limit", str(run.rate_limit), "--latency-ms", "50", "150",
    ) as base_url:
        child = subprocess.run(
            [sys.executable, "-m", "simulator.bench", "--child", json.dumps(asdict(run)), "--base-url", base_url],
            capture_output=True, text=True,
        )
    if child.returncode != 0:
        raise RuntimeError(f"bench run {run.workspace}/{run.plan}/{run.kind} failed: {child.stderr[-2000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def plan_runs(rate_limit: float, campaigns: int, days: int, tests: int, root: Path) -> List[Run]:
    def run(workspace: str, plan: str, kind: str = "backfill", limit: float = rate_limit,
            configured: Optional[float] = None, size: tuple = (campaigns, days), state: str = "",
            workspaces: int = 1, placement_tests: int = tests) -> Run:
        state = state or str(root / f"{workspace}-{plan}-{limit:g}-{configured or limit:g}")
        return Run(workspace, plan, kind, limit, configured or limit, size[0], size[1], placement_tests, state, workspaces)

    sparse_activity, sparse_exhaustive = run("sparse", "activity"), run("sparse", "exhaustive")
    return [
        run("dense", "exhaustive"),
        run("dense", "activity"),
        sparse_exhaustive,
        run("sparse", "exhaustive", "daily", state=sparse_exhaustive.state),
        sparse_activity,
        run("sparse", "activity", "daily", state=sparse_activity.state),
        run("sparse", "activity", limit=0.4 * rate_limit, configured=0.6 * rate_limit),
        run("sparse", "activity", limit=10, size=(max(campaigns // 5, 10), max(days // 3, 10))),
        run("agency", "activity", limit=10, size=(50, 30), workspaces=10, placement_tests=4),
    ]


def targets(runs: List[Dict[str, object]]) -> Dict[str, bool]:
    """The request, floor, throttling and memory targets, checked on this bench's runs."""
    def find(**where: object) -> Dict[str, object]:
        return next(r for r in runs if all(r[k] == v for k, v in where.items()))

    def share(workspace: str, kind: str) -> float:
        """The activity plan's requests as a share of the exhaustive plan's, at the limit."""
        at_limit = {"workspace": workspace, "kind": kind, "rate_limit": runs[0]["rate_limit"],
                    "configured_rate": runs[0]["rate_limit"]}
        return find(plan="activity", **at_limit)["requests"] / find(plan="exhaustive", **at_limit)["requests"]

    fair = [r for r in runs if r["configured_rate"] == r["rate_limit"] and r["kind"] == "backfill"
            and r["workspaces"] == 1]
    over = [r for r in runs if r["configured_rate"] > r["rate_limit"]]
    agency = [r for r in runs if r["workspaces"] > 1]
    return {
        "sparse backfill: activity requests <= 40% of exhaustive": share("sparse", "backfill") <= 0.40,
        "sparse daily: activity requests <= 40% of exhaustive": share("sparse", "daily") <= 0.40,
        "dense backfill: activity requests <= 101% of exhaustive": share("dense", "backfill") <= 1.01,
        "backfills at the limit: wall <= 1.2 x floor": all(r["ratio"] <= 1.2 for r in fair),
        "over-configured: 429s <= 2% of requests": all(r["status_429_share"] <= 0.02 for r in over),
        "over-configured: wall <= 1.3 x floor": all(r["ratio"] <= 1.3 for r in over),
        "peak RSS < 500 MB (one workspace)": all(r["peak_rss_mb"] < 500 for r in runs if r["workspaces"] == 1),
        "agency: wall <= 1.3 x the slowest workspace's floor": all(r["ratio"] <= 1.3 for r in agency),
        "agency: peak RSS < 800 MB": all(r["peak_rss_mb"] < 800 for r in agency),
    }


def in_child(module: str) -> Dict[str, object]:
    """`python -m MODULE --output FILE` in a process of its own (its memory its own): its results."""
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "results.json"
        subprocess.run([sys.executable, "-m", module, "--output", str(output)], check=False)
        return json.loads(output.read_text())


def only(part: Dict[str, object], output: str) -> int:
    """One part's results (`--only`), written as the whole bench writes its own, its targets printed."""
    Path(output).write_text(json.dumps(part, indent=2) + "\n")
    checked: Dict[str, bool] = part["targets"]  # type: ignore[assignment]
    for name, met in checked.items():
        print(f"{'met' if met else 'MISSED':>6}  {name}")
    print(f"results in {output}")
    return 0 if all(checked.values()) else 1


def bench(rate_limit: float, campaigns: int, days: int, tests: int, output: str) -> int:
    started = time.monotonic()
    results: List[Dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in plan_runs(rate_limit, campaigns, days, tests, Path(tmp)):
            Path(run.state).mkdir(exist_ok=True)
            result = run_in_child(run)
            results.append(result)
            print(
                f"{result['workspace']:>6} {result['plan']:>10} {result['kind']:>8} x{result['workspaces']}"
                f"  R={result['rate_limit']:g} configured={result['configured_rate']:g}"
                f"  {result['requests']:>6,} requests  wall {result['wall_s']:>7.1f} s"
                f"  floor {result['floor_s']:>7.1f} s  ratio {result['ratio']:.3f}"
                f"  429s {result['status_429']:>4}  {result['peak_rss_mb']:>5.0f} MB",
                flush=True,
            )
    checked = targets(results)
    soaked = in_child("simulator.soak")
    checked.update(soaked["targets"])  # type: ignore[arg-type]
    daily = in_child("simulator.daily_cost")
    checked.update(daily["targets"])  # type: ignore[arg-type]
    history = in_child("simulator.history")
    scale = in_child("simulator.scale")
    dagster = in_child("simulator.dagster_scale")
    checked.update(dagster["targets"])  # type: ignore[arg-type]
    checked["dbt build after a daily load of 2 years x 500 campaigns x 5 workspaces within 60 s"] = (
        float(history["build_after_daily_load_s"]) <= 60)  # type: ignore[arg-type]
    summary = {
        "runs": results, "soak": soaked, "daily_cost": daily, "history": history, "scale": scale,
        "dagster_scale": dagster, "targets": checked,
        "bench_minutes": round((time.monotonic() - started) / 60, 1),
    }
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
    p.add_argument("--only", choices=["dagster"], help="only this part: dagster = simulator.dagster_scale (50 clients"
                                                        " on Dagster into PostgreSQL, against make run)")
    p.add_argument("--child", help=argparse.SUPPRESS)  # one run, as JSON: what run_in_child starts
    p.add_argument("--base-url", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(measure(Run(**json.loads(args.child)), args.base_url)))
        return 0
    if args.only == "dagster":
        return only(in_child("simulator.dagster_scale"), args.output)
    return bench(args.rate_limit, args.campaigns, args.days, args.tests, args.output)


if __name__ == "__main__":
    sys.exit(main())
