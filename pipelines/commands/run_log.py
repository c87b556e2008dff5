"""The run's log file: everything dlt, dbt and the sources log, kept out of the cron output.

One file per run under `data/logs/` (or `LOG_DIR`), named by its UTC start, the newest
`KEEP_RUNS` kept. The console gets only the per-resource lines, the dbt line and the summary.
"""

import logging
import os
import sys
from pathlib import Path

import pendulum

PROJECT_ROOT = Path(__file__).resolve().parents[2]
KEEP_RUNS = 30


def log_dir() -> Path:
    return Path(os.environ.get("LOG_DIR") or PROJECT_ROOT / "data" / "logs").resolve()


def open_run_log(command: str) -> Path:
    """Starts this run's log file, sends every logger (dlt's included) and Python warnings to it,
    and removes all but the newest `KEEP_RUNS` files."""
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = pendulum.now("UTC").format("YYYYMMDDTHHmmss")
    path = folder / f"{command}-{stamp}Z-{os.getpid()}.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # dlt logs through its own non-propagating "dlt" logger and reuses a handler it finds there.
    dlt_logger = logging.getLogger("dlt")
    dlt_logger.handlers[:] = [handler]
    dlt_logger.propagate = False
    logging.captureWarnings(True)
    sys.unraisablehook = log_unraisable
    for old in sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime)[:-KEEP_RUNS]:
        old.unlink(missing_ok=True)
    return path


def log_unraisable(unraisable: "sys.UnraisableHookArgs") -> None:
    """Python's report of an exception it could not raise (the usual one: a request of a family
    that already failed, left in flight when dlt closed that family's event loop, cleaned up
    later) goes to the log: it is a detail of a failure the run has already named in one line."""
    logging.getLogger("pipelines").warning(
        "ignored in %r: %s", unraisable.object, unraisable.exc_value, exc_info=unraisable.exc_value
    )
