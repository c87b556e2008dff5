"""Inbox placement end to end: records, stats per test-day-cell, reports, against the simulator."""

import asyncio

import pendulum
import pytest

from helpers import RECEIVED, client_for, truth_cells, truth_records
from pipelines.common.errors import ApiError
from pipelines.instantly import plan as families
from pipelines.instantly import settings

PLACEMENT = families.PLACEMENT.resources
"""Loads select the placement family's resources: the tables these tests check."""

RECORDS = settings.INBOX_PLACEMENT_RECORDS
STATS = settings.INBOX_PLACEMENT_STATS


def loaded_stats(wh):
    rows = wh.query(
        "select test_id, cast(date as varchar), recipient_geo, recipient_type, recipient_esp,"
        " count, spam_count, category_count from raw.instantly_inbox_placement_stats")
    return {tuple(r[:5]): tuple(r[5:]) for r in rows}


def test_every_per_email_record_is_loaded_once(warehouse):
    warehouse.load(*PLACEMENT)
    ids = [r[0] for r in warehouse.query("select id from raw.instantly_inbox_placement_analytics")]
    assert sorted(ids) == sorted(truth_records(warehouse.sim.placement))


def test_stats_hold_one_row_per_test_day_cell_with_the_simulators_counts(warehouse):
    warehouse.load(*PLACEMENT)
    assert loaded_stats(warehouse) == truth_cells(warehouse.sim.placement)


def test_received_records_reconcile_with_stats_in_the_warehouse(warehouse):
    warehouse.load(*PLACEMENT)
    mismatches = warehouse.query(f"""
        with received as (
            select test_id, timestamp_created_date as day, recipient_geo, recipient_type, recipient_esp,
                   count(*) as n,
                   count(*) filter (where is_spam) as spam,
                   count(*) filter (where has_category and not is_spam) as category
            from raw.instantly_inbox_placement_analytics
            where {RECEIVED}
            group by all)
        select * from received r
        full join raw.instantly_inbox_placement_stats s
          on s.test_id = r.test_id and cast(s.date as varchar) = r.day
         and s.recipient_geo = r.recipient_geo and s.recipient_type = r.recipient_type
         and s.recipient_esp = r.recipient_esp
        where r.n is distinct from s.count or r.spam is distinct from s.spam_count
           or r.category is distinct from s.category_count
           or s.inbox_count is distinct from r.n - r.spam - r.category""")
    assert mismatches == []


def test_stats_are_asked_once_per_day_and_cell_for_all_tests_together(warehouse):
    warehouse.load(*PLACEMENT)
    asked = [
        (r.body["date_from"][:10], r.body["recipient_geo"][0], r.body["recipient_type"][0],
         r.body["recipient_esp"][0])
        for r in warehouse.sim.state.requests(STATS, method="POST")
    ]
    cells = {(day, g, t, e) for (_, day, g, t, e) in truth_cells(warehouse.sim.placement)}
    assert sorted(asked) == sorted(cells)


def test_old_style_zero_one_flags_load_as_booleans(warehouse):
    warehouse.load(*PLACEMENT)
    legacy = next(t.id for t in warehouse.sim.placement.tests if t.legacy_flags)
    types = warehouse.query(
        "select distinct typeof(is_spam), typeof(spf_pass) from raw.instantly_inbox_placement_analytics"
        f" where test_id = '{legacy}' and is_spam is not null")
    assert types == [("BOOLEAN", "BOOLEAN")]


def test_a_second_run_asks_each_test_only_from_its_own_cursor_minus_the_overlap(warehouse):
    pw = warehouse.sim.placement
    first_end = pw.today.subtract(days=6)
    warehouse.load(*PLACEMENT, end_date=first_end.isoformat(), lookback_days=1)
    assert warehouse.query("select count(*) from raw.instantly_inbox_placement_analytics")[0][0] == len(
        truth_records(pw, first_end))
    newest = dict(warehouse.query(
        "select test_id, max(timestamp_created) from raw.instantly_inbox_placement_analytics group by 1"))
    warehouse.sim.state.reset()

    warehouse.load(*PLACEMENT, lookback_days=1)

    start = f"{pw.first_day.isoformat()}T00:00:00.000Z"
    for request in warehouse.sim.state.requests(RECORDS):
        test_id = request.param("test_id")
        asked_from = pendulum.parse(request.param("date_from"))
        if test_id in newest:
            assert asked_from == pendulum.instance(newest[test_id]).subtract(days=1)
        else:
            assert request.param("date_from") == start, "a test without records yet is backfilled"
    stats_days = {r.body["date_from"][:10] for r in warehouse.sim.state.requests(STATS, method="POST")}
    assert min(stats_days) >= min(pendulum.instance(t).in_tz("UTC").subtract(days=1).date().isoformat() for t in newest.values())
    loaded_days = {r[0] for r in warehouse.query(
        "select distinct cast(date as varchar) from raw.instantly_inbox_placement_stats")}
    assert loaded_days == {day for (_, day, *_rest) in truth_cells(pw)}
    assert sorted(r[0] for r in warehouse.query("select id from raw.instantly_inbox_placement_analytics")) == sorted(
        truth_records(pw))


def test_a_test_first_seen_late_is_backfilled_from_the_start(warehouse):
    pw = warehouse.sim.placement
    late = pw.tests[0]
    pw.deleted.add(late.id)
    try:
        warehouse.load(*PLACEMENT, lookback_days=1)
    finally:
        pw.deleted.clear()
    warehouse.load(*PLACEMENT, lookback_days=1)
    loaded = {r[0] for r in warehouse.query(
        f"select id from raw.instantly_inbox_placement_analytics where test_id = '{late.id}'")}
    assert loaded == {r["id"] for r in pw.all_records(late.id)}


def test_an_automated_test_that_keeps_running_gains_new_days(warehouse):
    pw = warehouse.sim.placement
    running = next(t for t in pw.tests if t.type == 2 and t.status == 1)
    first_end = pw.today.subtract(days=3)
    warehouse.load(*PLACEMENT, end_date=first_end.isoformat(), lookback_days=1)
    days = lambda: {r[0] for r in warehouse.query(  # noqa: E731
        f"select distinct cast(date as varchar) from raw.instantly_inbox_placement_stats where test_id = '{running.id}'")}
    before = days()
    warehouse.load(*PLACEMENT, lookback_days=1)
    gained = days() - before
    assert gained == {pw.today.subtract(days=n).isoformat() for n in range(3)}


def test_reports_and_their_rules_and_blacklists_join_back(warehouse):
    warehouse.load(*PLACEMENT)
    pw = warehouse.sim.placement
    reports = warehouse.query("select count(*) from raw.instantly_inbox_placement_reports")[0][0]
    assert reports == sum(len(pw.reports(t.id)) for t in pw.tests)
    orphans = warehouse.query("""
        select count(*) from raw.instantly_inbox_placement_reports__blacklist_report__details d
        left join raw.instantly_inbox_placement_reports r on d._dlt_root_id = r._dlt_id
        where r.id is null""")
    assert orphans == [(0,)]
    rules = warehouse.query("select count(*) from raw.instantly_inbox_placement_reports__spam_assassin_report__report")
    assert rules == [(2 * reports,)]


def test_tests_and_esp_options_are_loaded(warehouse):
    warehouse.load(*PLACEMENT)
    pw = warehouse.sim.placement
    assert sorted(r[0] for r in warehouse.query("select id from raw.instantly_inbox_placement_tests")) == sorted(
        t.id for t in pw.tests)
    assert warehouse.query("select count(*) from raw.instantly_esp_options")[0][0] > 0


def test_an_unknown_test_id_is_one_clear_error(sim):
    async def ask():
        client = client_for(sim)
        async with client:
            return await client.get(RECORDS, {"test_id": "no-such-test", "limit": 100})

    with pytest.raises(ApiError, match=r"^Instantly GET /api/v2/inbox-placement-analytics failed: HTTP 404"):
        asyncio.run(ask())


def test_a_test_deleted_upstream_stays_in_the_warehouse(warehouse):
    pw = warehouse.sim.placement
    warehouse.load(*PLACEMENT)
    gone = pw.tests[-1].id
    pw.deleted.add(gone)
    try:
        warehouse.load(*PLACEMENT)
    finally:
        pw.deleted.clear()
    assert warehouse.query(f"select count(*) from raw.instantly_inbox_placement_tests where id = '{gone}'") == [(1,)]


def test_the_records_resource_line_counts_the_stats_it_wrote_too(warehouse):
    report = warehouse.load("instantly_inbox_placement_tests", "instantly_inbox_placement_analytics")
    line = next(r for r in report.resources if r.name == "instantly_inbox_placement_analytics")
    written = warehouse.query("select (select count(*) from raw.instantly_inbox_placement_analytics)"
                              " + (select count(*) from raw.instantly_inbox_placement_stats)")[0][0]
    assert line.rows == written > 0
