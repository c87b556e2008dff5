"""Fixtures: one simulator for the session, a fresh warehouse per test.

Every test runs with the host in a far-off time zone (UTC+14 by default, `TEST_TZ` to change):
every date the product writes must be a UTC day whatever the host's zone.
"""

import os
import time
from pathlib import Path

import pytest

from helpers import Sim, Warehouse, serving
from simulator.accounts import AccountsWorkspace
from simulator.placement import PlacementWorkspace
from simulator.workspace import Workspace

os.environ["TZ"] = os.environ.get("TEST_TZ", "Pacific/Kiritimati")
time.tzset()


@pytest.fixture(scope="session")
def simulator():
    accounts = AccountsWorkspace(accounts=9, days=20)
    placement = PlacementWorkspace(tests=4, days=20, senders=accounts.emails[:3])
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
