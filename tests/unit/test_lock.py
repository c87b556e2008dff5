"""The warehouse lock on one host: a second writer is refused at once, naming the holder, or
waits its turn when it asks to (an orchestrator's queued runs)."""

import threading

import pytest

from pipelines.engine.lock import AlreadyRunning, file_lock


def test_a_second_writer_is_refused_at_once_naming_the_holder(tmp_path):
    lock = tmp_path / "warehouse.duckdb.run.lock"
    with file_lock(lock, "run"):
        with pytest.raises(AlreadyRunning, match=r"another writer holds the warehouse \(run pid \d+ on \S+ since "):
            with file_lock(lock, "alerts"):
                pass


def test_a_writer_that_waits_takes_the_lock_when_the_holder_lets_go(tmp_path):
    lock = tmp_path / "warehouse.duckdb.run.lock"
    taken = threading.Event()

    def second() -> None:
        with file_lock(lock, "dagster", wait=True):
            taken.set()

    with file_lock(lock, "run"):
        waiter = threading.Thread(target=second)
        waiter.start()
        assert not taken.wait(0.3), "took the lock while another writer held it"
    waiter.join(timeout=10)
    assert taken.is_set()
