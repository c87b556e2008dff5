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
from typing import Any, Callable, Dict, Iterator, Optional, Sequence, Tuple

from pipelines.common.tracking import RunStats
from pipelines.engine.runner import LoadOutcome, Watch

REFRESH_S = 0.25


@contextmanager
def progress_board() -> Iterator[Optional[Watch]]:
    """A `Watch` for every run of a load, the families of each workspace running at once: per
    resource, requests done out of planned (when its plan knows the count), rows so far and an
    ETA, refreshed from each run's stats. None when stdout is no terminal (cron gets no bars)."""
    if not sys.stdout.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn("{task.description:<42}"), BarColumn(), MofNCompleteColumn(), TextColumn("requests"),
        TextColumn("{task.fields[rows]:>9,} rows"), TimeRemainingColumn(),
    )
    watched: Dict[int, Tuple[RunStats, Dict[str, Any]]] = {}
    lock = threading.Lock()

    def refresh(bars: Progress) -> None:
        with lock:
            for stats, tasks in watched.values():
                done, planned = stats.by_resource("requests"), stats.by_resource("planned")
                for step in set(done) - set(tasks) - {""}:  # a step of its own, such as the activity map
                    tasks[step] = bars.add_task(step, total=None, rows=0)
                for name, task in tasks.items():
                    bars.update(task, completed=done[name], total=planned[name] or None, rows=stats.yielded[name])

    with Progress(*columns, transient=True) as bars:

        @contextmanager
        def watch(stats: RunStats, resources: Sequence[str]) -> Iterator[None]:
            with lock:
                watched[id(stats)] = (stats, {name: bars.add_task(name, total=None, rows=0) for name in resources})
            try:
                yield
            finally:
                with lock:
                    for task in watched.pop(id(stats))[1].values():
                        bars.remove_task(task)

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
