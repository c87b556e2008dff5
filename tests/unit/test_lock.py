"""The warehouse lock on one host: a second writer is refused at once, naming the holder, or
waits its turn when it asks to (an orchestrator's queued runs), or takes it for each step that writes."""

import threading
from typing import ContextManager

import pytest

from pipelines.engine.lock import AlreadyRunning, WarehouseTurns, file_lock, run_lock
from pipelines.engine.warehouse import resolve


def test_a_second_writer_is_refused_at_once_naming_the_holder(tmp_path):
    lock = tmp_path / "warehouse.duckdb.run.lock"
    with file_lock(lock, "run"):
        with pytest.raises(AlreadyRunning, match=r"another writer holds the warehouse \(run pid \d+ on \S+ since "):
            with file_lock(lock, "alerts"):
                pass


def waits_while_held(hold: ContextManager, take: ContextManager, what: str) -> None:
    """`take` in another thread while `hold` is held: it waits, and goes through once `hold` lets go."""
    taken = threading.Event()

    def second() -> None:
        with take:
            taken.set()

    with hold:
        waiter = threading.Thread(target=second)
        waiter.start()
        assert not taken.wait(0.3), what
    waiter.join(timeout=10)
    assert taken.is_set()


def test_a_writer_that_waits_takes_the_lock_when_the_holder_lets_go(tmp_path):
    lock = tmp_path / "warehouse.duckdb.run.lock"
    waits_while_held(file_lock(lock, "run"), file_lock(lock, "dagster", wait=True),
                     "took the lock while another writer held it")


def test_a_load_step_taking_its_turn_waits_for_a_run_holding_the_warehouse_and_frees_it_after(tmp_path):
    warehouse = resolve("duckdb", duckdb_file=str(tmp_path / "warehouse.duckdb"))
    waits_while_held(run_lock(warehouse, "run"), WarehouseTurns(warehouse, "dagster"),
                     "wrote while a run held the warehouse")
    with run_lock(warehouse, "run"):  # the step let go: a run takes the warehouse at once
        pass
