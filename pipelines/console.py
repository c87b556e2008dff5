"""What a run prints: one line per resource, one for dbt, error lines, and a closing summary.

Plain lines only (no colour, no control characters), fit for a cron log; details go to the run's
log file, which the summary names.
"""

import sys
import time
from pathlib import Path

from pipelines.runner import LoadOutcome


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
