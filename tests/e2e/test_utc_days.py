"""Every date is a UTC day and every timestamp UTC, whatever the host's or the reader's time zone,
and whatever the hour.

The same simulated workspace is loaded (and built by dbt) by two hosts at once, in UTC+14 and in
UTC-12, and each warehouse is read in its own zone: every DATE and timestamp column of
every raw, staging and analytics table must be the same. The hosts run at a fixed clock (libfaketime),
11:00 UTC, when the host in UTC+14 is already on the next day and the host in UTC-12 still on the day
before, so the test cannot pass or fail by the hour the suite runs. (PostgreSQL: test_postgres.py.)
"""

import shutil
import subprocess
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Dict, List

import duckdb
import pendulum
import pytest

from helpers import EVENING_UTC, ROOT, cleaner_settings, env_for
from pipelines.engine.warehouse import our_columns_sql

RUN_TIMES = ("first_polled_at", "last_polled_at", "registered_at", "loaded_at", "last_run_at", "started_at", "ended_at",
             "last_ok_at", "first_seen_at", "last_seen_at", "resolved_at", "created_at", "sent_at")
"""When this run polled, loaded or raised an alert: they differ between runs by nature, whatever the zone."""


def as_utc_text(value: object) -> object:
    if isinstance(value, datetime):
        return (value.astimezone(timezone.utc) if value.tzinfo else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def dates_and_times(db: Path, zone: str) -> Dict[str, List[tuple]]:
    """table -> sorted rows of its DATE and timestamp columns, read in a session in `zone`."""
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute(f"set TimeZone = '{zone}'")
        columns = con.execute(our_columns_sql(
            ("raw", "staging", "analytics"), where="(data_type = 'DATE' or data_type like 'TIMESTAMP%')")).fetchall()
        by_table: Dict[str, List[str]] = {}
        for table, column in columns:
            if column not in RUN_TIMES:
                by_table.setdefault(table, []).append(f'"{column}"')
        return {
            table: sorted(
                (tuple(as_utc_text(v) for v in row) for row in con.execute(f"select {', '.join(cols)} from {table}").fetchall()),
                key=repr,
            )
            for table, cols in by_table.items()
        }


FAKETIME = shutil.which("faketime")
ZONES = ("Pacific/Kiritimati", "Etc/GMT+12")
"""The hosts' zones: the two furthest from UTC, on either side (UTC+14 and UTC-12; POSIX names the
sign the other way round). A date taken in the host's zone lands on a different day in each, so
their warehouses differ; the evening seed test's UTC day pins both to UTC (a third host in UTC
would add nothing)."""
pytestmark = pytest.mark.skipif(FAKETIME is None, reason="libfaketime not installed: apt-get install faketime")


def at_clock(instant: pendulum.DateTime, command: List[str]) -> List[str]:
    """`command` with its wall clock (and its children's: dbt) set to `instant`, then running on from
    it. The monotonic clock stays real: Python's timed waits measure their deadline on it (and with
    it left alone, libfaketime's fix for faked monotonic waits, which doubles a run's CPU, is off)."""
    offset = f"{int(instant.timestamp() - time.time()):+d}"
    return ["env", "FAKETIME_DONT_FAKE_MONOTONIC=1", "FAKETIME_FORCE_MONOTONIC_FIX=0", str(FAKETIME), "-f", offset,
            *command]


@pytest.fixture(scope="module")
def loaded_in_every_zone(simulator, tmp_path_factory):
    simulator.state.reset()
    today = simulator.workspace.today
    clock = pendulum.datetime(today.year, today.month, today.day, 11, tz="UTC")
    local_days = {zone: clock.in_timezone(zone).date() for zone in ZONES}
    assert local_days["Pacific/Kiritimati"] > today > local_days["Etc/GMT+12"], local_days
    job = simulator.cleaner.add("Evening seed test", EVENING_UTC, polls_to_complete=1)
    roots = {zone: tmp_path_factory.mktemp(zone.replace("/", "_")) for zone in ZONES}
    runs = {
        zone: subprocess.Popen(
            at_clock(clock, [sys.executable, "-m", "pipelines", "run"]), cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, env=env_for(
                simulator, root, TZ=zone,
                **cleaner_settings(simulator),
                SOURCES__CAMPAIGN_CLEANER__JOB_IDS=job.job_id,
            ),
        )
        for zone, root in roots.items()  # the hosts at once
    }
    for zone, process in runs.items():
        _, errors = process.communicate(timeout=300)
        assert process.returncode == 0, f"{zone}: {errors}"
    warehouses = {zone: root / "warehouse.duckdb" for zone, root in roots.items()}
    for zone, db in warehouses.items():  # the hosts ran at the clock set, not at the suite's hour
        with duckdb.connect(str(db), read_only=True) as con:
            started = con.execute("select min(started_at) from raw.run_ledger").fetchone()[0]
        assert clock <= pendulum.instance(started, tz="UTC") < clock.add(minutes=10), zone
    return warehouses


def test_every_date_and_timestamp_column_is_the_same_in_every_zone(loaded_in_every_zone):
    dumps = {zone: dates_and_times(db, zone) for zone, db in loaded_in_every_zone.items()}
    reference = dumps[ZONES[0]]
    assert {"analytics.seed_test_results", "staging.stg_instantly__campaigns"} <= set(reference)
    for zone in ZONES[1:]:
        differing = [t for t in reference if dumps[zone].get(t) != reference[t]]
        assert differing == [], f"{zone}: {differing}"


def test_every_zone_raises_the_same_alerts(loaded_in_every_zone):
    def alerts(db: Path) -> List[tuple]:
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute("select workspace_label, rule, subject, status, figure, n, detail from raw.alert_state"
                               " order by 1, 2, 3").fetchall()

    raised = {zone: alerts(db) for zone, db in loaded_in_every_zone.items()}
    assert raised[ZONES[0]] and all(rows == raised[ZONES[0]] for rows in raised.values())


def test_a_seed_test_submitted_in_the_evening_stays_on_its_utc_day(loaded_in_every_zone):
    for zone, db in loaded_in_every_zone.items():
        with duckdb.connect(str(db), read_only=True) as con:
            con.execute(f"set TimeZone = '{zone}'")
            placed = con.execute(
                "select distinct submitted_date, submitted_at from analytics.seed_test_results"
                " where test_name = 'Evening seed test'").fetchall()
        assert placed == [(EVENING_UTC.date(), EVENING_UTC.naive())], zone
