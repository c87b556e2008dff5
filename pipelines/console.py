"""What a run prints: one line per resource, one for dbt, error lines, and a closing summary.

Plain lines only (no colour, no control characters), fit for a cron log; details go to the run's
log file, which the summary names. On a terminal, progress bars show each resource while it runs
(rich's, which vanish when the resource lines are printed); without one there are none.
"""

import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from pipelines.common.tracking import RunStats
from pipelines.runner import LoadOutcome

REFRESH_S = 0.25


@contextmanager
def progress(stats: RunStats, resources: Sequence[str]) -> Iterator[None]:
    """Per resource: requests done out of planned (when its plan knows the count), rows so far
    and an ETA, refreshed from `stats` while the run goes. Nothing when stdout is no terminal."""
    if not sys.stdout.isatty():
        yield
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn("{task.description:<42}"), BarColumn(), MofNCompleteColumn(), TextColumn("requests"),
        TextColumn("{task.fields[rows]:>9,} rows"), TimeRemainingColumn(),
    )
    with Progress(*columns, transient=True) as bars:
        tasks = {name: bars.add_task(name, total=None, rows=0) for name in resources}
        stop = threading.Event()

        def refresh() -> None:
            while not stop.wait(REFRESH_S):
                done, planned = stats.by_resource("requests"), stats.by_resource("planned")
                for name, task in tasks.items():
                    total = planned[name] or None
                    bars.update(task, completed=done[name], total=total, rows=stats.yielded[name])

        thread = threading.Thread(target=refresh, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def say(line: str) -> None:
    print(line, flush=True)


def fail(line: str) -> int:
    print(f"error: {line}", file=sys.stderr, flush=True)
    return 1


def summary(outcome: LoadOutcome, started: float, log_file: Path, problem: str = "") -> int:
    """The run's last line: what loaded, how long it took, whether it failed, and the log file.
    Returns the exit code."""
    status = f"; {problem}" if problem else ""
    say(
        f"loaded {outcome.rows:,} rows into {outcome.tables} tables with {outcome.requests:,} requests"
        f" in {time.monotonic() - started:.1f}s{status}; log: {log_file}"
    )
    return 1 if problem or outcome.errors else 0
