"""What a run prints: one line per resource, one for dbt, error lines, and a closing summary.

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
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Sequence, Tuple

from pipelines.common.tracking import RunStats
from pipelines.engine.runner import LoadOutcome, Watch

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
    return 1 if problem or outcome.errors else 0
