"""Fixtures: one simulator for the session, a fresh warehouse per test.

The suite is in tiers, a folder each (and a marker of the same name, for `-m`):
- `unit`: the client, dates, the explainer and the simulator's spec; no warehouse;
- `pipeline`: sources loaded in-process into DuckDB warehouses; no CLI, no dbt;
- `e2e`: the CLI as cron runs it, dbt, the report, Dagster, PostgreSQL.

Every test runs with the host in a far-off time zone (UTC+14 by default, `TEST_TZ` to change):
every date the product writes must be a UTC day whatever the host's zone.
"""

import os
import subprocess
import time
from pathlib import Path

import pendulum
import pytest

from helpers import CronRun, Sim, Warehouse, built_once, cleaner_settings, env_for, run_cli, serving
from simulator.accounts import AccountsWorkspace
from simulator.placement import PlacementWorkspace
from simulator.workspace import Workspace

os.environ["TZ"] = os.environ.get("TEST_TZ", "Pacific/Kiritimati")
time.tzset()
# Tests call nothing beyond 127.0.0.1: dlt's and dbt's anonymous usage statistics stay off in every
# process the suite starts (README: Telemetry).
os.environ.update(RUNTIME__DLTHUB_TELEMETRY="false", DO_NOT_TRACK="1")


TIERS = ("unit", "pipeline", "e2e")


def pytest_collection_modifyitems(items: list) -> None:
    for item in items:
        tier = item.path.parent.name
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def simulator():
    accounts = AccountsWorkspace(accounts=9, days=20)
    placement = PlacementWorkspace(tests=4, days=20, senders=accounts.emails[:3], sender_esps=accounts.sender_esps())
    with serving(Workspace(campaigns=6, days=20, deleted=1, drafts=1), placement, accounts) as sim:
        yield sim


@pytest.fixture
def sim(simulator: Sim) -> Sim:
    """The session's simulator with no faults and an empty request log."""
    simulator.state.reset()
    return simulator


@pytest.fixture
def warehouse(tmp_path: Path, sim: Sim) -> Warehouse:
    return Warehouse(tmp_path, sim)


@pytest.fixture(scope="session")
def cron_run(simulator: Sim, tmp_path_factory: pytest.TempPathFactory) -> CronRun:
    """The first run of a warehouse as cron starts it (`dbt build` and the snapshot included):
    Instantly, and Campaign Cleaner with one job; its log directory holds 35 earlier runs' logs.
    Built once for the test run (`built_once`) and shared by every test that only reads what it
    printed or loaded (a test that changes data works on a copy). Its environment reads this
    process's simulator: for commands that read the warehouse (report, alerts), not for a rerun."""

    def first_run(root: Path) -> subprocess.CompletedProcess:
        simulator.state.reset()
        logs = root / "logs"
        logs.mkdir()
        for n in range(35):  # earlier runs' logs, oldest first
            old = logs / f"run-old-{n:02}.log"
            old.write_text("old")
            os.utime(old, (1_000_000 + n, 1_000_000 + n))
        job = simulator.cleaner.add("Marts test", pendulum.now("UTC"), polls_to_complete=1)
        return run_cli(env_for(simulator, root, **cleaner_settings(simulator), SOURCES__CAMPAIGN_CLEANER__JOB_IDS=job.job_id))

    root, done = built_once(tmp_path_factory, "cron", first_run)
    return CronRun(Warehouse(root, simulator), env_for(simulator, root, **cleaner_settings(simulator)), done)


@pytest.fixture(scope="session")
def built(cron_run: CronRun) -> Warehouse:
    """The cron run's warehouse: read it only."""
    return cron_run.warehouse
