"""One run, whoever starts it (`make run`, the demo): load every family, record the ledger,
build dbt on what loaded, evaluate the alerts, publish the BI snapshot.

Partial, never nothing: a family the workspace does not allow is one notice line; one that fails
is one error line and the run's exit code; either way the others load, and dbt builds the marts
from what the warehouse holds (a failed family's tables keep their last good rows, and
`source_freshness` says they are stale).
"""

import logging
from collections import Counter
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ContextManager, List, Mapping, Optional

import dlt
import pendulum

from pipelines.campaign_cleaner import plan as campaign_cleaner_plan
from pipelines.common.sources import Family, Plan
from pipelines.console import failure_words, show_load
from pipelines.engine import ledger, runner
from pipelines.engine.explain import explain
from pipelines.engine.outcome import LoadOutcome
from pipelines.engine.warehouse import Warehouse
from pipelines.instantly import plan as instantly_plan
from pipelines.outputs.alerts import run_alerts
from pipelines.outputs.alerts.state import NotWritten as AlertsNotWritten
from pipelines.outputs.snapshot import publish, snapshot_enabled
from pipelines.outputs.transform import DbtOutcome, DbtProcess, Progress, finish_build, prepare_build

log = logging.getLogger(__name__)
Say = Callable[[str], None]
SOURCES = (instantly_plan, campaign_cleaner_plan)
"""Every source a run loads: each folder's `plan` module (its `FAMILIES`, and `plan(say, backfill)`)."""
FAMILIES: List[Family] = [family for source in SOURCES for family in source.FAMILIES]


def configured_plan(say: Say, backfill: Optional[str] = None) -> Plan:
    """What every configured source loads; `backfill` (FROM[:TO]) re-pulls those UTC days of the
    day-based tables."""
    return sum((source.plan(say, backfill) for source in SOURCES), Plan([], 0))


Board = Callable[[Mapping[Optional[str], int]], ContextManager[Optional[runner.Watch]]]
"""Opens the progress display of a load, given how many families each workspace loads (label None:
the single key), and gives its `Watch` (None: nothing to show)."""
DbtBoard = Callable[[], ContextManager[Optional[Progress]]]
"""Opens the progress bar of `dbt build` and gives its callback (None: nothing to show)."""


@dataclass
class RunOutcome:
    """What a run did: the families' outcome, and the problems that decide its exit code."""

    load: LoadOutcome = field(default_factory=LoadOutcome)
    problems: List[str] = field(default_factory=list)
    """Short words for the summary line (`1 family failed`, `dbt failed`)."""


def load(
    warehouse: Warehouse,
    plan: Callable[[], Plan],
    say: Say,
    fail: Say,
    run: Optional[ledger.RunLedger] = None,
    board: Optional[Board] = None,
    ready: Callable[[], None] = lambda: None,
    load_lock: Optional[ContextManager[Any]] = None,
) -> RunOutcome:
    """Loads what `plan` says (`configured_plan`) into `warehouse` and records each family's
    outcome in the ledger; prints what loaded, a notice per unsupported family and an error per
    failed one. The warehouse is reached first, then the plan made (which asks each workspace),
    so a warehouse problem costs no API request; a DuckDB warehouse stays open meanwhile
    (`Warehouse.kept_open`). `board`: the progress bars shown while the
    families load (the console's). `run`: the run's ledger (a new one when not given). `ready`:
    called once the warehouse answered and the plan is made, before the load's first request (a
    run starts dbt's parse there: a run that stops at a wrong setting never starts dbt).
    `load_lock`: what each step that writes the warehouse holds, the ledger's write too (a run
    holding the warehouse whole needs none; `lock.WarehouseTurns` for one that does not)."""
    run = run or ledger.RunLedger(warehouse, fail)
    outcome = RunOutcome()
    pipeline_named = runner.pipelines_of(warehouse)
    reach(pipeline_named)
    with warehouse.kept_open():  # until the ledger is written; dbt builds after
        planned = plan()
        ready()
        with board(Counter(spec.label for spec in planned.specs)) if board else nullcontext() as watch:
            outcome.load = runner.load_all(pipeline_named, planned, watch=watch, load_lock=load_lock)
        show_load(outcome.load, say, fail)
        if outcome.load.interrupted:
            loaded = sum(r.status == "ok" for r in outcome.load.results)
            outcome.problems.append(
                f"interrupted: {loaded} of {len(planned.specs)} families had loaded, the rest keep their cursors"
            )
        else:
            outcome.problems += failure_words(outcome.load)
        with load_lock if load_lock is not None else nullcontext():
            problem = run.record([ledger.family_row(run.run_id, result) for result in outcome.load.results])
        outcome.problems += filter(None, [problem])
    return outcome


def build(
    warehouse: Warehouse, dbt: DbtProcess, say: Say, fail: Say, run: ledger.RunLedger,
    dbt_board: Optional[DbtBoard] = None,
) -> List[str]:
    """`dbt build` (`dbt`, prepared by `prepare_build`) on what the warehouse holds, then what
    follows it (`after_dbt`), the alerts and the BI snapshot. Returns the problems for the summary
    (none when dbt passed, warnings or not). `dbt_board`: the progress bar of its nodes (the
    console's)."""
    started = pendulum.now("UTC")
    try:
        with dbt_board() if dbt_board else nullcontext() as progress:
            built = finish_build(dbt, progress)
    except Exception as exc:  # noqa: BLE001 - dbt's failure is one line; the ledger keeps it
        return after_dbt(run, started, DbtOutcome(explain(exc)), False, say, fail)
    problems = after_dbt(run, started, built, True, say, fail)
    problems += filter(None, [alert(warehouse, say, fail)])
    if warehouse.duckdb_file is not None and snapshot_enabled():
        say(publish(warehouse.duckdb_file).line())
    return problems


def after_dbt(
    run: ledger.RunLedger, started: pendulum.DateTime, built: DbtOutcome, passed: bool, say: Say, fail: Say,
) -> List[str]:
    """What follows `dbt build`, whoever ran it (a run's `build`, Dagster's dbt asset): its one
    line, and its row in the run ledger. Returns the problems for the summary."""
    if not passed:
        fail(built.line)
        written = run.record([ledger.dbt_row(run.run_id, "failed", started, cause=built.line)])
        return ["dbt failed", *filter(None, [written])]
    say(built.line)
    if built.warnings:
        log.warning("dbt tests that warned: %s", ", ".join(built.warnings))
    return list(filter(None, [run.record([ledger.dbt_row(run.run_id, "ok", started, built.warnings)])]))


def alert(warehouse: Warehouse, say: Say, fail: Say, dry_run: bool = False, named: bool = False) -> Optional[str]:
    """The alert rules on the freshly built marts: one line, a notice per destination that did
    not take its alerts (kept for the next run; the run does not fail for it). Returns the problem
    for the summary when the rules themselves could not be evaluated. `named`: the line names the
    warehouse read (the `alerts` command's)."""
    try:
        outcome = run_alerts(warehouse, dry_run=dry_run)
    except AlertsNotWritten as exc:
        fail(f"alert state not written (kept for the next run, which sends nothing twice): {exc}")
        return "alert state not written"
    except Exception as exc:  # noqa: BLE001 - one line; the marts and the ledger stand
        fail(f"alerts not evaluated: {explain(exc)}")
        return "alerts failed"
    say(outcome.line(dry_run, named))
    if dry_run:
        for e in outcome.opened + outcome.resolved:
            say(f"  {e.line()}")
    for line in outcome.notices():
        say(f"notice: {line}")
    return None


def load_and_build(
    warehouse: Warehouse,
    plan: Callable[[], Plan],
    say: Say,
    fail: Say,
    log_file: Optional[Path],
    skip_dbt: bool = False,
    board: Optional[Board] = None,
    dbt_board: Optional[DbtBoard] = None,
) -> RunOutcome:
    """The whole run: `load`, then `build` (or a ledger row saying dbt was skipped). dbt starts
    (imports, parse) as the load starts, beside it, and builds once the load is done."""
    run = ledger.RunLedger(warehouse, fail)
    with ExitStack() as stack:
        prepared: List[DbtProcess] = []

        def start_dbt() -> None:
            prepared.append(stack.enter_context(prepare_build(warehouse, log_file=log_file)))

        outcome = load(warehouse, plan, say, fail, run, board, ready=(lambda: None) if skip_dbt else start_dbt)
        if outcome.load.interrupted:
            return outcome
        if skip_dbt:
            problems = [run.record([ledger.dbt_row(run.run_id, "skipped", pendulum.now("UTC"), cause="--skip-dbt")])]
        else:
            problems = list(build(warehouse, prepared[0], say, fail, run, dbt_board))
    outcome.problems += [p for p in dict.fromkeys(problems) if p and p not in outcome.problems]
    return outcome


def reach(pipeline_named: Callable[[str], dlt.Pipeline]) -> None:
    """Opens the warehouse once before any request: a locked DuckDB file, a wrong password or a
    missing database is then one line for the run, not one per family, and costs no API request."""
    with pipeline_named(ledger.PIPELINE).sql_client() as client:
        client.execute_sql("select 1")

