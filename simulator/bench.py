"""`make bench` (`python -m simulator.bench`): backfill a large simulated workspace and compare
wall time with the rate-limit floor.

The simulator runs in its own process (50-150 ms per request, a workspace limit of R req/s),
so the figures measure this pipeline only: its requests, wall time, peak memory and rows.
"""

import argparse
import json
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipelines import runner
from pipelines.instantly import instantly
from pipelines.run_log import open_run_log
from pipelines.warehouse import resolve
from simulator.server import DEFAULT_API_KEY
from simulator.workspace import Workspace


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


def bench(campaigns: int, tests: int, days: int, rate_limit: float, output: str) -> int:
    open_run_log("bench")  # dlt's log to data/logs/, like a run's: the console shows the results
    port = free_port()
    simulator = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", str(port),
         "--campaigns", str(campaigns), "--tests", str(tests), "--days", str(days), "--rate-limit", str(rate_limit),
         "--latency-ms", "50", "150"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        first_day = Workspace(campaigns=campaigns, days=days).first_day
        with tempfile.TemporaryDirectory() as tmp:
            pipeline = runner.make_pipeline(
                resolve("duckdb", duckdb_file=f"{tmp}/bench.duckdb"), pipelines_dir=f"{tmp}/pipelines",
                pipeline_name="bench",
            )
            started = time.monotonic()
            report = runner.run(pipeline, lambda run: instantly(
                api_key=DEFAULT_API_KEY,
                base_url=f"http://127.0.0.1:{port}",
                start_date=first_day.isoformat(),
                max_requests_per_second=rate_limit,
                run=run,
            ))
            wall = time.monotonic() - started
    finally:
        simulator.terminate()
        simulator.wait()
    requests = sum(report.requests.values())
    stats = report.stats.service("Instantly")
    floor = requests / rate_limit
    results = {
        "campaigns": campaigns,
        "placement_tests": tests,
        "days": days,
        "rate_limit": rate_limit,
        "requests": requests,
        "wall_s": round(wall, 2),
        "floor_s": round(floor, 2),
        "ratio": round(wall / floor, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rows": report.total_rows,
        "rows_per_s": round(report.total_rows / wall, 1),
        "retries": stats.retries,
        "by_endpoint": dict(sorted(stats.requests.items())),
    }
    Path(output).write_text(json.dumps(results, indent=2) + "\n")
    for name, value in results.items():
        print(f"{name:>12}: {value}")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m simulator.bench", description=__doc__)
    p.add_argument("--campaigns", type=int, default=200, help="simulated campaigns (default 200)")
    p.add_argument("--tests", type=int, default=20, help="inbox placement tests (default 20)")
    p.add_argument("--days", type=int, default=90, help="days to backfill (default 90)")
    p.add_argument("--rate-limit", type=float, default=100.0, help="workspace requests/second")
    p.add_argument("--output", default="bench-results.json", help="where to write the results")
    args = p.parse_args()
    return bench(args.campaigns, args.tests, args.days, args.rate_limit, args.output)


if __name__ == "__main__":
    sys.exit(main())
