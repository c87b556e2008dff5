"""The e2e tier's shared fixtures."""

import pytest

from helpers import KEYS, Agency, CronRun, Warehouse, built_once, run_cli


@pytest.fixture(scope="module")
def agency():
    """An agency of two workspaces behind one simulator (`helpers.Agency`), for the module."""
    simulated = Agency()
    with simulated.server:
        yield simulated


@pytest.fixture(scope="module")
def agency_run(agency, tmp_path_factory) -> CronRun:
    """Both workspaces of the agency loaded and built by one CLI run as cron starts it: built once
    for the test run (`built_once`; the simulated workspaces are the same in every process)."""
    root, done = built_once(tmp_path_factory, "agency", lambda root: run_cli(agency.env(root, KEYS)))
    return CronRun(Warehouse(root, agency), agency.env(root, KEYS), done)
