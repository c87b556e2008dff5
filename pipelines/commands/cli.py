"""Command line: `python -m pipelines run|seed-tests|report|alerts|docs`."""

import argparse
import time
from contextlib import contextmanager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

from pipelines.commands.run_log import open_run_log
from pipelines.common.dates import utc_today
from pipelines.console import dbt_progress, fail, progress_board, say, show_load, summary
from pipelines.engine import ledger
from pipelines.engine.explain import explain
from pipelines.engine.lock import AlreadyRunning, run_lock
from pipelines.engine.outcome import LoadOutcome
from pipelines.engine.warehouse import Warehouse, configured_destination, resolve
from pipelines.flow import RunOutcome, alert, configured_plan, load_and_build
from pipelines.outputs.report import write_report
from pipelines.outputs.transform import dbt_docs


def cmd_run(args: argparse.Namespace) -> int:
    """Loads every configured family under the warehouse's run lock, then builds dbt on what
    loaded. Exit 0 when every family loaded or is unsupported and dbt passed (warnings allowed)."""
    started = time.monotonic()
    log_file = open_run_log("run")
    outcome = RunOutcome()
    try:
        warehouse = resolve(args.destination)
        with refused_in_ledger(warehouse), run_lock(warehouse, "run", wait=args.wait):
            plan = partial(configured_plan, say, args.backfill)
            outcome = load_and_build(
                warehouse, plan, say, fail, log_file, args.skip_dbt, board=progress_board, dbt_board=dbt_progress,
            )
    except KeyboardInterrupt:  # between the load's steps (planning, dbt): nothing more starts
        fail("interrupted")
        summary(outcome.load, started, log_file, "interrupted")
        return INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - every failure ends as one line and exit 1
        fail(explain(exc))
        return summary(outcome.load, started, log_file, "failed")
    code = summary(outcome.load, started, log_file, "; ".join(outcome.problems))
    return INTERRUPTED if outcome.load.interrupted else code


@contextmanager
def refused_in_ledger(warehouse: Warehouse) -> Iterator[None]:
    """A run the warehouse's lock refused leaves its row in the run ledger (`ledger.record_refused`)."""
    try:
        yield
    except AlreadyRunning as exc:
        ledger.record_refused(warehouse, str(exc))
        raise


INTERRUPTED = 130
"""The exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells report it."""


def cmd_seed_tests(args: argparse.Namespace) -> int:
    """`list` reads the registry; the other actions change it through a run, under the lock."""
    from pipelines.commands import seed_tests

    started = time.monotonic()
    log_file = open_run_log("seed-tests")
    outcome = LoadOutcome()
    try:
        warehouse = resolve(args.destination)
        if args.action == "list":
            seed_tests.list_jobs(warehouse, say)
            return 0
        with run_lock(warehouse, "seed-tests"):
            outcome = seed_tests.CHANGES[args.action](args, warehouse, say)
        show_load(outcome, say, fail)
    except Exception as exc:  # noqa: BLE001
        fail(explain(exc, "campaign_cleaner"))
        return summary(outcome, started, log_file, "failed")
    return summary(outcome, started, log_file)


def loaded_warehouse(destination: str) -> Warehouse:
    """The configured warehouse, once something has loaded it: a DuckDB file that does not exist
    is one line naming it (never another warehouse in its place, never a file or lock left)."""
    warehouse = resolve(destination)
    warehouse.require_loaded()
    return warehouse


def cmd_report(args: argparse.Namespace) -> int:
    """The HTML report of the warehouse's marts (works on every destination). While a run holds
    a DuckDB warehouse, the report reads its BI snapshot, and says so."""
    open_run_log("report")
    output = Path(args.output).resolve()
    try:
        warehouse = loaded_warehouse(args.destination)
        try:  # a DuckDB file is read while no run writes it; PostgreSQL reads beside writers
            with run_lock(warehouse, "report") if warehouse.duckdb_file is not None else nullcontext():
                written = write_report(warehouse, output, utc_today(), args.workspace)
            read_from = ""
        except AlreadyRunning:
            snapshot = warehouse.snapshot_file
            if snapshot is None or not snapshot.exists():
                raise
            written = write_report(resolve("duckdb", duckdb_file=str(snapshot)), output, utc_today(), args.workspace)
            read_from = " (the BI snapshot: a run is writing the warehouse)"
    except Exception as exc:  # noqa: BLE001
        fail(explain(exc))
        return 1
    say(f"report: {written.path}, from {written.source}{read_from}")
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    """The alert rules on the warehouse's marts now: what opened and resolved is recorded and sent
    (`--dry-run`: printed, nothing sent or written)."""
    open_run_log("alerts")
    try:
        warehouse = loaded_warehouse(args.destination)
        with run_lock(warehouse, "alerts"):
            problem = alert(warehouse, say, fail, dry_run=args.dry_run, named=True)
    except Exception as exc:  # noqa: BLE001
        fail(explain(exc))
        return 1
    return 1 if problem else 0


def cmd_docs(args: argparse.Namespace) -> int:
    """dbt's documentation site, built on the configured warehouse."""
    log_file = open_run_log("docs")
    try:
        warehouse = loaded_warehouse(args.destination)
        index = dbt_docs(warehouse, log_file)
    except Exception as exc:  # noqa: BLE001
        fail(explain(exc))
        return 1
    say(f"docs of {warehouse.identity}: open {index}")
    say("or serve them: .venv/bin/dbt docs serve --project-dir dbt_project --profiles-dir dbt_project")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    destination: Dict[str, Any] = dict(
        default=configured_destination(),
        help="dlt destination to load into: duckdb (default) or postgres; also DESTINATION_TYPE",
    )

    run = sub.add_parser("run", help="load every configured source, then dbt build")
    run.add_argument("--destination", **destination)
    run.add_argument("--skip-dbt", action="store_true", help="load only, do not run dbt build")
    run.add_argument(
        "--wait", action="store_true",
        help="when another writer holds the warehouse (a Dagster run's turn), wait for it instead of exiting",
    )
    run.add_argument(
        "--backfill", metavar="FROM[:TO]",
        help="also re-pull these UTC days (YYYY-MM-DD; TO defaults to today) of the day-based tables"
             " and merge them; the incremental cursors stay where they are",
    )
    run.set_defaults(func=cmd_run)

    seeds = sub.add_parser("seed-tests", help="Campaign Cleaner seed tests: add, create, remove, list")
    seeds.add_argument("--destination", **destination)
    actions = seeds.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="track existing jobs (and poll them now)")
    add.add_argument("job_ids", nargs="+", metavar="JOB", help="Campaign Cleaner job ids")
    create = actions.add_parser("create", help="create a seed test, print its seed addresses, track it")
    create.add_argument("--name", required=True, help="a name for the test, kept with its results")
    remove = actions.add_parser("remove", help="stop tracking jobs (their loaded results stay)")
    remove.add_argument("job_ids", nargs="+", metavar="JOB", help="Campaign Cleaner job ids")
    actions.add_parser("list", help="the tracked jobs and their state")
    seeds.set_defaults(func=cmd_seed_tests)

    report = sub.add_parser("report", help="write the HTML report of the marts (data/report.html)")
    report.add_argument("--destination", **destination)
    report.add_argument("--output", default="data/report.html", help="where to write it (default data/report.html)")
    report.add_argument("--workspace", metavar="LABEL",
                        help="one workspace's page (its label in agency mode), to forward to that client")
    report.set_defaults(func=cmd_report)

    alerts = sub.add_parser("alerts", help="evaluate the alert rules on the marts and send what opened or resolved")
    alerts.add_argument("--destination", **destination)
    alerts.add_argument("--dry-run", action="store_true", help="print what would be sent; send and record nothing")
    alerts.set_defaults(func=cmd_alerts)

    docs = sub.add_parser("docs", help="generate dbt's documentation site of the warehouse")
    docs.add_argument("--destination", **destination)
    docs.set_defaults(func=cmd_docs)

    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)
