"""What a run prints: one line per resource, one for dbt, error lines, and a closing summary:
the words of every line about a load, and where they go.

Plain lines only (no colour, no control characters), fit for a cron log; details go to the run's
log file, which the summary names. On a terminal, progress bars show each resource while it runs
(rich's, which vanish when the resource lines are printed); without one there are none.
"""

import logging
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from pipelines.common.tracking import RunStats
from pipelines.engine.outcome import FamilyResult, LoadOutcome, ResourceReport
from pipelines.engine.runner import Watch

log = logging.getLogger(__name__)
Say = Callable[[str], None]

REFRESH_S = 0.25


@contextmanager
def progress_board(families: Mapping[Optional[str], int]) -> Iterator[Optional[Watch]]:
    """A `Watch` for every run of a load, refreshed from each run's stats; None when stdout is no
    terminal (cron gets no bars). `families`: how many families each workspace loads.

    One workspace (the single key): a bar per resource, requests done out of planned (when its plan
    knows the count), rows so far and an ETA; a resource that has planned nothing yet while a step
    of its run goes (the activity map) shows that step's progress. Agency mode: one line per
    workspace (its label, families done, requests, rows), whatever the number of workspaces."""
    if not sys.stdout.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    agency = any(label is not None for label in families)
    columns = (
        TextColumn("{task.description:<42}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[unit]}"),
        TextColumn("{task.fields[rows]:>9,} rows"), TimeRemainingColumn(),
    )
    runs: Dict[int, Tuple[Optional[str], RunStats, Dict[str, Any]]] = {}
    """Each family run's workspace, stats and its bars (none in agency mode)."""
    workspaces: Dict[Optional[str], Dict[str, Any]] = {}
    """Agency mode: per workspace, its line and what finished runs counted."""
    lock = threading.Lock()

    def refresh(bars: Progress) -> None:
        with lock:
            for _, stats, tasks in runs.values():
                if agency:
                    continue
                done, planned = stats.by_resource("requests"), stats.by_resource("planned")
                steps = [s for s in done if s and s not in tasks]  # steps of their own, such as the activity map
                for step in steps:
                    tasks[step] = bars.add_task(step, total=None, rows=0, unit="requests")
                for name, task in tasks.items():
                    idle = name not in steps and not planned[name] and not stats.yielded[name]
                    step = next((s for s in steps if idle and planned[s] > done[s]), None)
                    shown = step or name
                    bars.update(task, completed=done[shown], total=planned[shown] or None, rows=stats.yielded[name],
                                description=f"{name} (waiting: {step})" if step else name)
            for label, line in workspaces.items():
                live = [stats for owner, stats, _ in runs.values() if owner == label]
                requests = line["requests"] + sum(sum(s.by_resource("requests").values()) for s in live)
                rows = line["rows"] + sum(sum(s.yielded.values()) for s in live)
                bars.update(line["task"], completed=line["done"], rows=rows,
                            description=f"workspace {label}: {requests:,} requests")

    with Progress(*columns, transient=True) as bars:
        if agency:
            for label, count in families.items():
                task = bars.add_task(f"workspace {label}", total=count, rows=0, unit="families")
                workspaces[label] = {"task": task, "done": 0, "requests": 0, "rows": 0}

        @contextmanager
        def watch(label: Optional[str], stats: RunStats, resources: Sequence[str]) -> Iterator[None]:
            with lock:
                tasks = {} if agency else {
                    name: bars.add_task(name, total=None, rows=0, unit="requests") for name in resources
                }
                runs[id(stats)] = (label, stats, tasks)
            try:
                yield
            finally:
                with lock:
                    for task in runs.pop(id(stats))[2].values():
                        bars.remove_task(task)
                    if label in workspaces:
                        line = workspaces[label]
                        line["done"] += 1
                        line["requests"] += sum(stats.by_resource("requests").values())
                        line["rows"] += sum(stats.yielded.values())

        stop = threading.Event()

        def keep_refreshing() -> None:
            while not stop.wait(REFRESH_S):
                refresh(bars)

        thread = threading.Thread(target=keep_refreshing, daemon=True)
        thread.start()
        try:
            yield watch
        finally:
            stop.set()
            thread.join()


@contextmanager
def dbt_progress() -> Iterator[Optional[Callable[[int, int], None]]]:
    """A bar of `dbt build`'s nodes (`dbt build ━━━ 120/251 nodes`) on a terminal; None without one."""
    if not sys.stdout.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description:<42}"), BarColumn(), MofNCompleteColumn(), TextColumn("nodes"),
                  TimeRemainingColumn(), transient=True) as bars:
        task = bars.add_task("dbt build", total=None)
        yield lambda done, total: bars.update(task, completed=done, total=total)


def say(line: str) -> None:
    print(line, flush=True)


MAX_ERROR_CHARS = 300
"""An error line longer than this (dbt naming many failing nodes) is cut, its whole text logged."""


def fail(line: str) -> None:
    """One error line of a readable length: `line` on one line, cut at `MAX_ERROR_CHARS`; the
    whole text goes to the run's log."""
    text = " ".join(line.split())
    if text != line.strip() or len(text) > MAX_ERROR_CHARS:
        logging.getLogger("pipelines").error("%s", line)
    if len(text) > MAX_ERROR_CHARS:
        rest = " ... (the rest in the run's log)"
        text = text[: MAX_ERROR_CHARS - len(rest)].rstrip() + rest
    print(f"error: {text}", file=sys.stderr, flush=True)


def summary(outcome: LoadOutcome, started: float, log_file: Path, problem: str = "") -> int:
    """The run's last line: what loaded, how long it took, whether it failed, and the log file.
    Returns the exit code."""
    status = f"; {problem}" if problem else ""
    counts = Counter(r.status for r in outcome.results)
    families = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    say(
        f"loaded {outcome.rows:,} rows into {outcome.tables} tables with {outcome.requests:,} requests"
        f" in {time.monotonic() - started:.1f}s{f' (families: {families})' if families else ''}{status}; log: {log_file}"
    )
    return 1 if problem or error_lines(outcome) else 0


def resource_line(resource: ResourceReport) -> str:
    return (
        f"resource {resource.name}: {resource.rows:,} rows, {resource.requests:,} requests,"
        f" {resource.retries:,} retries, {resource.throttled:,} throttled (429), {resource.seconds:.1f}s"
    )


def prefix(result: FamilyResult) -> str:
    """A family's lines' prefix: its workspace's label in agency mode."""
    return f"{result.spec.label}: " if result.spec.label else ""


def family_line(result: FamilyResult) -> str:
    """What is said of a family that did not load (empty for one that did)."""
    if result.whole_workspace:
        return f"{prefix(result)}workspace {result.spec.workspace} not loaded: {result.cause}"
    if result.status == "unsupported":
        return (f"{prefix(result)}{result.spec.family.title} not loaded for workspace {result.spec.workspace}:"
                f" {result.cause}; its tables are left as they were")
    if result.status == "failed":
        return f"{prefix(result)}{result.spec.family.title} failed: {result.cause}"
    return ""


def error_lines(outcome: LoadOutcome) -> List[str]:
    """One line per failure: families of a workspace that failed for the same cause share it (a
    refused key, a disk full), then the items a source skipped while the rest loaded."""
    causes: Dict[tuple, List[FamilyResult]] = {}
    for result in outcome.failed:
        causes.setdefault((result.spec.label, result.whole_workspace, result.cause), []).append(result)
    lines = [
        family_line(group[0]) if len(group) == 1 or group[0].whole_workspace else
        prefix(group[0]) + f"{', '.join(r.spec.family.title for r in group)} failed: {group[0].cause}"
        for group in causes.values()
    ]
    lines += [prefix(r) + item for r in outcome.results if r.report for item in r.report.skipped]
    return list(dict.fromkeys(lines))


def notice_lines(outcome: LoadOutcome) -> List[str]:
    """One line per cause a workspace does not allow families for (a missing scope names its
    families once), then what sources noticed."""
    causes: Dict[tuple, List[FamilyResult]] = {}
    for result in outcome.results:
        if result.status == "unsupported":
            causes.setdefault((result.spec.label, result.cause), []).append(result)
    lines = [
        family_line(group[0]) if len(group) == 1 else
        prefix(group[0]) + f"{', '.join(r.spec.family.title for r in group)} not loaded for workspace"
        f" {group[0].spec.workspace}: {group[0].cause}; their tables are left as they were"
        for group in causes.values()
    ]
    lines += [prefix(r) + item for r in outcome.results if r.report for item in r.report.stats.notices]
    return list(dict.fromkeys(lines))


def failure_words(outcome: LoadOutcome) -> List[str]:
    """The failures for a summary: one per workspace that could not be read at all (whatever its
    families), then the count of the other families that failed."""
    unread = list(dict.fromkeys(r.spec.workspace for r in outcome.failed if r.whole_workspace))
    others = sum(not r.whole_workspace for r in outcome.failed)
    words = [f"workspace {label} not read" for label in unread]
    return words + ([f"{others} famil{'ies' if others > 1 else 'y'} failed"] if others else [])


def say_loaded(results: Sequence[FamilyResult], say: Say) -> None:
    """One line per resource, in the order of the specs, and one per pending package finished
    first. Agency mode (workspaces with labels) says one line per workspace instead, so fifty
    clients are fifty lines; its per-resource lines go to the log file."""
    agency = any(result.spec.label for result in results)
    by_workspace: Dict[str, List[FamilyResult]] = {}
    for result in results:
        by_workspace.setdefault(result.spec.workspace, []).append(result)
        report = result.report
        if report is None:
            continue
        if report.pending_rows is not None:
            say(f"{prefix(result)}finished the load an earlier run left pending: {report.pending_rows:,} rows")
        for resource in report.resources:
            (log.info if agency else say)(prefix(result) + resource_line(resource))
    if not agency:
        return
    for label, group in by_workspace.items():
        rows = sum(r.report.total_rows for r in group if r.report)
        requests = sum(service.total for r in group for service in r.stats.services.values())
        seconds = max((r.ended_at - r.started_at).total_seconds() for r in group)
        statuses = Counter(r.status for r in group)
        say(
            f"workspace {label}: {rows:,} rows, {requests:,} requests, {seconds:.1f}s;"
            f" families: {', '.join(f'{n} {status}' for status, n in sorted(statuses.items()))}"
        )


def show_load(outcome: LoadOutcome, say: Say, fail: Say) -> None:
    """What loaded (`say_loaded`), a notice per cause of unsupported families, and an error per
    failure (none after Ctrl-C: the summary says the load was interrupted)."""
    say_loaded(outcome.results, say)
    for line in notice_lines(outcome):
        say(f"notice: {line}")
    for line in error_lines(outcome) if not outcome.interrupted else []:
        fail(line)
