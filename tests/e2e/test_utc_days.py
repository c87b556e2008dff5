"""Every date is a UTC day and every timestamp UTC, whatever the host's or the reader's time zone,
and whatever the hour.

The same simulated workspace is loaded (and built by dbt) on a UTC host and on a host in a far-off
zone, and each warehouse is read in its own zone: every DATE and timestamp column of every raw,
staging and analytics table must be the same. The hosts run at a fixed clock (libfaketime), once
just before UTC midnight beside a host in UTC+14 (already on the next day) and once just after
beside a host in UTC-8 (still on the day before), so the test cannot pass or fail by the hour the
suite runs. (PostgreSQL: test_postgres.py.)
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

from helpers import EVENING_UTC, ROOT, env_for
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
CLOCKS = {
    "before UTC midnight": lambda today: pendulum.datetime(today.year, today.month, today.day, 23, 40, tz="UTC"),
    "after UTC midnight": lambda today: pendulum.datetime(today.year, today.month, today.day, 0, 20, tz="UTC").add(days=1),
}
"""The hosts' clock, from the simulator's (UTC) today."""
ZONES = {"before UTC midnight": ("UTC", "Pacific/Kiritimati"), "after UTC midnight": ("UTC", "America/Los_Angeles")}
"""The hosts' zones at each clock: UTC, and the zone whose local day is not the UTC day then."""
pytestmark = pytest.mark.skipif(FAKETIME is None, reason="libfaketime not installed: apt-get install faketime")


def at_clock(instant: pendulum.DateTime, command: List[str]) -> List[str]:
    """`command` with its wall clock (and its children's: dbt) set to `instant`, then running on from
    it. The monotonic clock stays real: Python's timed waits measure their deadline on it."""
    offset = f"{int(instant.timestamp() - time.time()):+d}"
    return ["env", "FAKETIME_DONT_FAKE_MONOTONIC=1", str(FAKETIME), "-f", offset, *command]


@pytest.fixture(scope="module", params=sorted(CLOCKS))
def loaded_in_every_zone(request, simulator, tmp_path_factory):
    simulator.state.reset()
    clock = CLOCKS[request.param](simulator.workspace.today)
    job = simulator.cleaner.add("Evening seed test", EVENING_UTC, polls_to_complete=1)
    roots = {zone: tmp_path_factory.mktemp(zone.replace("/", "_")) for zone in ZONES[request.param]}
    runs = {
        zone: subprocess.Popen(
            at_clock(clock, [sys.executable, "-m", "pipelines", "run"]), cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, env=env_for(
                simulator, root, TZ=zone,
                SOURCES__CAMPAIGN_CLEANER__API_KEY=simulator.cleaner.api_key,
                SOURCES__CAMPAIGN_CLEANER__BASE_URL=simulator.url,
                SOURCES__CAMPAIGN_CLEANER__JOB_IDS=job.job_id,
            ),
        )
        for zone, root in roots.items()  # the hosts at once
    }
    for zone, process in runs.items():
        _, errors = process.communicate(timeout=300)
        assert process.returncode == 0, f"{zone} {request.param}: {errors}"
    return {zone: root / "warehouse.duckdb" for zone, root in roots.items()}


def test_every_date_and_timestamp_column_is_the_same_in_every_zone(loaded_in_every_zone):
    dumps = {zone: dates_and_times(db, zone) for zone, db in loaded_in_every_zone.items()}
    reference = dumps["UTC"]
    assert {"analytics.seed_test_results", "staging.stg_instantly__campaigns"} <= set(reference)
    for zone in set(dumps) - {"UTC"}:
        differing = [t for t in reference if dumps[zone].get(t) != reference[t]]
        assert differing == [], f"{zone}: {differing}"


def test_every_zone_raises_the_same_alerts(loaded_in_every_zone):
    def alerts(db: Path) -> List[tuple]:
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute("select workspace_label, rule, subject, status, figure, n, detail from raw.alert_state"
                               " order by 1, 2, 3").fetchall()

    raised = {zone: alerts(db) for zone, db in loaded_in_every_zone.items()}
    assert raised["UTC"] and all(rows == raised["UTC"] for rows in raised.values())


def test_a_seed_test_submitted_in_the_evening_stays_on_its_utc_day(loaded_in_every_zone):
    for zone, db in loaded_in_every_zone.items():
        with duckdb.connect(str(db), read_only=True) as con:
            con.execute(f"set TimeZone = '{zone}'")
            placed = con.execute(
                "select distinct submitted_date, submitted_at from analytics.seed_test_results"
                " where test_name = 'Evening seed test'").fetchall()
        assert placed == [(EVENING_UTC.date(), EVENING_UTC.naive())], zone
