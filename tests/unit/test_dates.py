"""Date semantics: UTC days, inclusive windows, clear errors for bad dates."""

import time
from datetime import datetime, timezone

import pytest
from pendulum import Date

from pipelines.common.dates import days_between, parse_day, pull_range, utc_today, window_params
from pipelines.common.errors import ConfigError

"""The fast tier (`make test-fast`): no warehouse is built here."""


def test_a_day_range_is_asked_as_instants_covering_both_ends():
    assert window_params(Date(2026, 3, 1), Date(2026, 3, 1)) == {
        "start_date": "2026-03-01T00:00:00.000Z",
        "end_date": "2026-03-01T23:59:59.999Z",
    }


def test_days_between_includes_both_ends():
    assert days_between(Date(2026, 2, 27), Date(2026, 3, 1)) == [
        Date(2026, 2, 27), Date(2026, 2, 28), Date(2026, 3, 1)
    ]


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "2026-1-3", "2026-01-31T10:00:00"])
def test_a_bad_date_setting_is_named_in_the_error(bad):
    with pytest.raises(ConfigError, match="SOURCES__INSTANTLY__START_DATE must be a date like"):
        parse_day(bad, "SOURCES__INSTANTLY__START_DATE")


def test_pull_range_runs_from_the_cursor_to_the_end_day():
    assert pull_range("2026-03-30", Date(2026, 4, 1)) == [Date(2026, 3, 30), Date(2026, 3, 31), Date(2026, 4, 1)]
    assert pull_range("2026-04-02", Date(2026, 4, 1)) == []


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])
def test_today_is_the_utc_day_whatever_the_machine_time_zone(zone, monkeypatch):
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        assert utc_today() == datetime.now(timezone.utc).date()
    finally:
        monkeypatch.undo()
        time.tzset()
