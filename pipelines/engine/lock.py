"""One writer at a time per warehouse: a second run, demo, Dagster run or `alerts` on it while one
is going exits at once, with one line naming who holds it.

Where it can, the lock is held in the warehouse itself, so writers on different hosts exclude
each other: on PostgreSQL, a session advisory lock keyed by the dataset (advisory locks are per
database), held by a connection of its own for the duration of the block and named after its
holder (`application_name`). Elsewhere (DuckDB, a file on one host), an advisory `flock` on a file
beside the warehouse. Either way the lock ends with its holder, however it ends: a run that was
killed never leaves a lock behind that blocks the next one.

A run holds the lock from start to end. Where the warehouse takes several writers, an
orchestrator's runs (one workspace each, several at once) hold it only for each step that writes
(`WarehouseTurns`): they extract side by side and write in turns, among themselves and with a
cron run holding it whole.
"""

import fcntl
import os
import socket
import threading
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ContextManager, Iterator, Optional

import pendulum

from pipelines.common.errors import ConfigError
from pipelines.engine.warehouse import DATASET, Warehouse, postgres_credentials

APPLICATION = "deliverability-elt"
LOCK_CLASS = 0x44454C
"""The first key of our advisory locks (so they never collide with another application's)."""


class AlreadyRunning(ConfigError):
    """Another writer holds the warehouse's lock; the message names it."""


def holder_name(command: str) -> str:
    """Who holds a lock, as the next writer is told: `run pid 123 on host-a since 2026-...Z`."""
    return f"{command} pid {os.getpid()} on {socket.gethostname()} since {pendulum.now('UTC').to_iso8601_string()}"


@contextmanager
def run_lock(warehouse: Warehouse, command: str = "run", wait: bool = False) -> Iterator[None]:
    """Holds the lock of `warehouse` for the block, or raises AlreadyRunning at once. `command`:
    what this process is (`run`, `demo`, `alerts`, `dagster`), for the next writer's message.
    `wait`: wait for the holder to finish instead (an orchestrator's runs, which its queue
    started on purpose, take turns rather than fail)."""
    if warehouse.destination == "postgres":
        with postgres_lock(command, wait):
            yield
        return
    with file_lock(warehouse.lock_file(), command, wait):
        yield


@contextmanager
def file_lock(lock_file: Path, command: str, wait: bool = False) -> Iterator[None]:
    """A `flock` on `lock_file` (`Warehouse.lock_file()`: absolute, keyed on the destination)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise AlreadyRunning(f"another writer holds the warehouse ({holder}); lock {lock_file}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(holder_name(command))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def dataset_key() -> int:
    """The second key: the dataset, as a non-negative int4."""
    return zlib.crc32(DATASET.encode()) & 0x7FFFFFFF


@contextmanager
def postgres_lock(command: str, wait: bool = False) -> Iterator[None]:
    """A session advisory lock on the configured PostgreSQL database, keyed by the dataset."""
    connection = postgres_connection(f"{APPLICATION} {holder_name(command)}"[:63])
    try:
        with connection.cursor() as cursor:
            if wait:
                cursor.execute("select pg_advisory_lock(%s, %s), true", (LOCK_CLASS, dataset_key()))
            else:
                cursor.execute("select pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, dataset_key()))
            locked = cursor.fetchone()[-1]
            if not locked:
                raise AlreadyRunning(f"another writer holds the warehouse ({postgres_holder(cursor)});"
                                     f" PostgreSQL advisory lock ({LOCK_CLASS}, {dataset_key()})")
        yield
    finally:
        connection.close()  # ends the session, and the lock with it


def postgres_holder(cursor: Any) -> str:
    """The holding session's name and address, as far as this role may see them."""
    cursor.execute(
        "select a.application_name, host(a.client_addr) from pg_locks l join pg_stat_activity a on a.pid = l.pid"
        " where l.locktype = 'advisory' and l.granted and l.classid = %s and l.objid = %s and l.objsubid = 2"
        " and l.database = (select oid from pg_database where datname = current_database())",
        (LOCK_CLASS, dataset_key()),
    )
    row = cursor.fetchone()
    if not row or not row[0]:
        return "another session"
    name, address = row
    return f"{str(name).removeprefix(APPLICATION).strip()}{f' from {address}' if address else ''}"


def postgres_connection(application_name: str) -> Any:
    """A connection of its own to the configured database, autocommit (the lock is the session's)."""
    import psycopg2

    credentials = postgres_credentials()
    connection = psycopg2.connect(
        dsn=credentials.to_native_representation(), application_name=application_name,
        connect_timeout=int(credentials.connect_timeout),
    )
    connection.autocommit = True
    return connection


class WarehouseTurns:
    """The lock of a load's warehouse steps, taken for each step and waited for (the steps of
    `runner.run`, and the ledger's write), when the run itself does not hold the warehouse: a run
    of one workspace among several at once, on a warehouse that takes several writers. Its
    threads take turns in this process first, so a process asks the warehouse for one lock at a
    time."""

    def __init__(self, warehouse: Warehouse, command: str) -> None:
        self.warehouse, self.command = warehouse, command
        self._turn = threading.Lock()
        self._held: Optional[ContextManager[None]] = None

    def __enter__(self) -> None:
        self._turn.acquire()
        try:
            held = run_lock(self.warehouse, self.command, wait=True)
            held.__enter__()
            self._held = held
        except BaseException:
            self._turn.release()
            raise

    def __exit__(self, *exc: Any) -> None:
        held, self._held = self._held, None
        try:
            if held is not None:
                held.__exit__(*exc)
        finally:
            self._turn.release()
