"""The e2e tier's shared fixtures."""

import pytest

from helpers import Agency


@pytest.fixture(scope="module")
def agency():
    """An agency of two workspaces behind one simulator (`helpers.Agency`), for the module."""
    simulated = Agency()
    with simulated.server:
        yield simulated
