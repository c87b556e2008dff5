"""One run at a time per warehouse: a second `make run` on it while one is going exits at once.

An advisory `flock` on a file: the kernel drops it when the holding process ends, however it
ends, so a run that was killed never leaves a lock behind that blocks the next one.
"""

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pendulum

from pipelines.common.errors import ConfigError


class AlreadyRunning(ConfigError):
    """Another run holds the lock."""


@contextmanager
def run_lock(lock_file: Path) -> Iterator[None]:
    """Holds the lock of one warehouse (`Warehouse.lock_file()`: absolute, keyed on the
    destination) for the duration of the block."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise AlreadyRunning(f"another run is in progress ({holder}); lock {lock_file}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {pendulum.now('UTC').to_iso8601_string()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
