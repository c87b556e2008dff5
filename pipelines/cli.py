"""Command line: `python -m pipelines run|seed-tests|demo|simulator|bench`."""

import argparse
import logging
import os
import sys
from typing import List, Optional

from pipelines import runner
from pipelines.common.client import RUN_FAILURES
from pipelines.lock import AlreadyRunning, run_lock
from pipelines.transform import dbt_build


def cmd_run(args: argparse.Namespace) -> int:
    """Loads every configured source under the run lock (see `load_and_build`)."""
    try:
        with run_lock():
            return load_and_build(args)
    except AlreadyRunning as exc:
        return fail(exc)


def load_and_build(args: argparse.Namespace) -> int:
    """Loads every configured source, each on its own (one failing does not stop the others),
    then builds dbt if they all loaded. Exit 0 only when everything loaded and dbt passed."""
    failed = False
    try:
        pipeline = runner.make_pipeline(destination=args.destination)
    except Exception as exc:  # noqa: BLE001 - every failure ends as one line and exit 1
        return fail(exc)
    RUN_FAILURES.clear()
    for name, make_source in runner.configured_sources():
        try:
            print_report(runner.run(pipeline, [make_source()]))
        except Exception as exc:  # noqa: BLE001
            failed = fail(exc) != 0
    for line in RUN_FAILURES:
        print(f"error: {line}", file=sys.stderr)
    if failed:  # models over a half-refreshed warehouse would only add noise to the real error
        return 1
    if not args.skip_dbt:
        try:
            dbt_build(runner.duckdb_path(), destination=args.destination)
        except Exception as exc:  # noqa: BLE001
            failed = fail(exc) != 0
    return 1 if failed or RUN_FAILURES else 0


def fail(exc: BaseException) -> int:
    print(f"error: {runner.explain(exc)}", file=sys.stderr)
    return 1


def print_report(report: runner.RunReport) -> None:
    """One line per resource, then a summary line (child tables' rows included there)."""
    for resource in report.resources:
        print(resource.line())
    requests = sum(r.requests for r in report.resources)
    print(f"loaded {report.total_rows:,} rows into {len(report.rows)} tables with {requests:,} requests"
          f" in {report.seconds:.1f}s")


def cmd_seed_tests(args: argparse.Namespace) -> int:
    from pipelines import seed_tests

    try:
        if args.action == "list":
            return seed_tests.list_jobs(args)
        with run_lock():  # add and create load, like a run
            return seed_tests.COMMANDS[args.action](args)
    except Exception as exc:  # noqa: BLE001
        return fail(exc)


def cmd_demo(args: argparse.Namespace) -> int:
    from pipelines.demo import demo

    return demo(args.campaigns, args.days)


def cmd_simulator(args: argparse.Namespace) -> int:
    from pipelines.simulator.serve import serve

    serve(
        port=args.port,
        campaigns=args.campaigns,
        tests=args.tests,
        days=args.days,
        seed=args.seed,
        rate_limit=args.rate_limit,
        latency_ms=(args.latency_ms[0], args.latency_ms[1]),
    )
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from pipelines.bench import bench

    return bench(args.campaigns, args.tests, args.days, args.rate_limit, args.output)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="load every configured source")
    run.add_argument("--destination", default=os.environ.get("DESTINATION_TYPE", "duckdb"))
    run.add_argument("--skip-dbt", action="store_true", help="load only, do not run dbt build")
    run.set_defaults(func=cmd_run)

    seeds = sub.add_parser("seed-tests", help="Campaign Cleaner seed tests: add, create, list")
    actions = seeds.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="track existing jobs (and poll them now)")
    add.add_argument("job_ids", nargs="+")
    create = actions.add_parser("create", help="create a seed test, print its seed addresses, track it")
    create.add_argument("--name", required=True)
    actions.add_parser("list", help="the tracked jobs and their state")
    seeds.set_defaults(func=cmd_seed_tests)

    demo = sub.add_parser("demo", help="run everything against the local simulator")
    demo.add_argument("--campaigns", type=int, default=8)
    demo.add_argument("--days", type=int, default=30)
    demo.set_defaults(func=cmd_demo)

    sim = sub.add_parser("simulator", help="serve the fake APIs on 127.0.0.1")
    sim.add_argument("--port", type=int, default=8765)
    sim.add_argument("--campaigns", type=int, default=8)
    sim.add_argument("--tests", type=int, default=4, help="inbox placement tests")
    sim.add_argument("--days", type=int, default=30)
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument("--rate-limit", type=float, default=100.0, help="workspace requests/second")
    sim.add_argument("--latency-ms", type=float, nargs=2, default=(0.0, 0.0), metavar=("MIN", "MAX"))
    sim.set_defaults(func=cmd_simulator)

    bench = sub.add_parser("bench", help="backfill a large simulated workspace and measure")
    bench.add_argument("--campaigns", type=int, default=200)
    bench.add_argument("--tests", type=int, default=20, help="inbox placement tests")
    bench.add_argument("--days", type=int, default=90)
    bench.add_argument("--rate-limit", type=float, default=100.0)
    bench.add_argument("--output", default="bench-results.json")
    bench.set_defaults(func=cmd_bench)
    return p


def main(argv: Optional[List[str]] = None) -> int:
    level = os.environ.get("LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if level != "DEBUG":
        # After a failure dlt abandons the other resources' coroutines; asyncio's complaints
        # about them at exit would bury the one line that says what to fix.
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    args = parser().parse_args(argv)
    return args.func(args)
