"""The Instantly source end to end: simulator -> dlt -> DuckDB, compared with the simulator's truth."""

import pytest

from helpers import duplicates, truth_daily, truth_steps
from pipelines.engine.explain import explain
from pipelines.instantly import plan as families
from pipelines.instantly import settings

CAMPAIGNS = families.CAMPAIGNS.resources
"""Loads select the campaigns family's resources: the tables these tests check."""

DAILY = settings.CAMPAIGN_ANALYTICS_DAILY
STEPS = settings.CAMPAIGN_ANALYTICS_STEPS
OVERVIEW = settings.CAMPAIGN_ANALYTICS_OVERVIEW


def loaded_steps(wh):
    rows = wh.query(
        "select campaign_id, cast(date as varchar), step, variant, sent"
        " from raw.instantly_campaign_analytics_steps"
    )
    return {(c, d, st, v): s for c, d, st, v, s in rows}


def test_backfill_loads_exactly_the_simulators_daily_truth(warehouse):
    warehouse.load(*CAMPAIGNS)
    assert warehouse.daily_sent() == truth_daily(warehouse.sim.workspace)
    assert duplicates(warehouse, "instantly_campaign_analytics_daily", "campaign_id, date") == 0


def test_backfill_loads_every_step_and_variant_per_day_with_unknown_steps_kept(warehouse):
    warehouse.load(*CAMPAIGNS)
    truth = truth_steps(warehouse.sim.workspace)
    assert loaded_steps(warehouse) == truth
    assert any(key[2] == "unknown" for key in truth), "the simulator should serve null steps"
    assert duplicates(warehouse, "instantly_campaign_analytics_steps", "campaign_id, date, step, variant") == 0


def test_steps_sum_to_daily_sent_per_campaign_day(warehouse):
    warehouse.load(*CAMPAIGNS)
    mismatches = warehouse.query("""
        select d.campaign_id, d.date from raw.instantly_campaign_analytics_daily d
        left join (select campaign_id, date, sum(sent) sent from raw.instantly_campaign_analytics_steps
                   group by 1, 2) s using (campaign_id, date)
        where coalesce(s.sent, 0) <> d.sent""")
    assert mismatches == []


def test_overview_has_one_row_per_campaign_day_matching_the_simulator(warehouse):
    warehouse.load(*CAMPAIGNS)
    ws = warehouse.sim.workspace
    rows = warehouse.query(
        "select campaign_id, cast(date as varchar), emails_sent_count, reply_count"
        " from raw.instantly_campaign_analytics_overview")
    for campaign_id, day, sent, replies in rows:
        truth = ws.overview([campaign_id], [d for d in ws.days() if d.isoformat() == day])
        assert (sent, replies) == (truth["emails_sent_count"], truth["reply_count"])
    active = {(c, d) for c, d in truth_daily(ws)}
    assert active <= {(c, d) for c, d, _, _ in rows}
    assert duplicates(warehouse, "instantly_campaign_analytics_overview", "campaign_id, date") == 0


def test_deleted_campaigns_keep_their_analytics(warehouse):
    warehouse.load(*CAMPAIGNS)
    deleted = [c.id for c in warehouse.sim.workspace.campaigns if not c.listed]
    assert deleted
    listed = {r[0] for r in warehouse.query("select id from raw.instantly_campaigns")}
    summary = {r[0] for r in warehouse.query("select campaign_id from raw.instantly_campaign_analytics")}
    daily = {r[0] for r in warehouse.query("select campaign_id from raw.instantly_campaign_analytics_daily")}
    for campaign_id in deleted:
        assert campaign_id not in listed
        assert campaign_id in summary and campaign_id in daily


def test_lifetime_summary_asks_again_only_for_listed_campaigns_left_out_in_one_ids_batch(warehouse):
    warehouse.load(*CAMPAIGNS)
    ws = warehouse.sim.workspace
    lifetime = [r for r in warehouse.sim.state.requests(settings.CAMPAIGN_ANALYTICS) if not r.param("start_date")]
    everything, batch = lifetime
    assert everything.query == []
    never_sent = sorted(c.id for c in ws.campaigns if c.listed and c.last_active is None)
    assert sorted(v for k, v in batch.query if k == "ids") == never_sent
    loaded = dict(warehouse.query("select campaign_id, emails_sent_count from raw.instantly_campaign_analytics"))
    assert loaded == {c.id: ws.lifetime(c.id)["emails_sent_count"] for c in ws.campaigns if c.last_active}


def test_second_run_asks_only_for_the_lookback_window_and_new_days(warehouse):
    ws = warehouse.sim.workspace
    first_end = ws.today.subtract(days=5)
    warehouse.load(*CAMPAIGNS, end_date=first_end.isoformat(), lookback_days=3)
    last_loaded = max(d for (_, d) in warehouse.daily_sent())
    warehouse.sim.state.reset()

    warehouse.load(*CAMPAIGNS, lookback_days=3)

    resume = ws.first_day.__class__.fromisoformat(last_loaded).subtract(days=3)
    step_days = {r.param("start_date")[:10] for r in warehouse.sim.state.requests(STEPS)}
    expected = {resume.add(days=n).isoformat() for n in range((ws.today - resume).days + 1)}
    assert step_days == expected
    assert {r.param("start_date")[:10] for r in warehouse.sim.state.requests(DAILY)} <= expected
    assert warehouse.daily_sent() == truth_daily(ws)
    assert duplicates(warehouse, "instantly_campaign_analytics_daily", "campaign_id, date") == 0


def test_a_fresh_machine_continues_from_the_state_stored_in_the_warehouse(warehouse, tmp_path):
    ws = warehouse.sim.workspace
    warehouse.load(*CAMPAIGNS, end_date=ws.today.subtract(days=2).isoformat(), lookback_days=1)
    warehouse.sim.state.reset()
    warehouse.pipelines_dir = tmp_path / "another-machine"

    warehouse.load(*CAMPAIGNS, lookback_days=1)

    days = {r.param("start_date")[:10] for r in warehouse.sim.state.requests(STEPS)}
    assert ws.first_day.isoformat() not in days
    assert len(days) <= 4
    assert warehouse.daily_sent() == truth_daily(ws)


def test_runs_survive_throttling_server_errors_and_dropped_connections(warehouse):
    warehouse.sim.state.reset(server_error_rate=0.08, throttle_rate=0.05, drop_rate=0.05)
    warehouse.load(*CAMPAIGNS)
    statuses = {r.status for r in warehouse.sim.state.log}
    assert {429, 200} <= statuses and statuses & {500, 502, 503}
    assert warehouse.daily_sent() == truth_daily(warehouse.sim.workspace)
    assert loaded_steps(warehouse) == truth_steps(warehouse.sim.workspace)
    assert duplicates(warehouse, "instantly_campaign_analytics_steps", "campaign_id, date, step, variant") == 0


def test_short_pages_are_followed_to_the_empty_page(warehouse):
    warehouse.sim.state.reset(page_size=2)
    warehouse.load(*CAMPAIGNS)
    listed = [c.id for c in warehouse.sim.workspace.campaigns if c.listed]
    assert sorted(r[0] for r in warehouse.query("select id from raw.instantly_campaigns")) == sorted(listed)
    pages = warehouse.sim.state.requests(settings.CAMPAIGNS)
    assert len(pages) == -(-len(listed) // 2) + 1
    assert all(r.param("limit") == "100" for r in pages)


def test_an_unknown_new_field_is_loaded_as_a_new_column(warehouse):
    warehouse.sim.state.reset(extra_field=True)
    warehouse.load(*CAMPAIGNS)
    assert warehouse.query("select min(sim_new_metric) from raw.instantly_campaign_analytics_daily") == [(1,)]


def test_the_same_days_load_whichever_way_the_api_reads_end_date(warehouse):
    warehouse.sim.state.reset(window_semantics="instant")
    warehouse.load(*CAMPAIGNS)
    assert warehouse.daily_sent() == truth_daily(warehouse.sim.workspace)
    assert loaded_steps(warehouse) == truth_steps(warehouse.sim.workspace)


def test_a_wrong_key_fails_with_one_clear_line_and_loads_nothing(warehouse):
    with pytest.raises(Exception) as failure:
        warehouse.load(api_key="wrong-key-123")
    line = explain(failure.value)
    assert "HTTP 401" in line and "SOURCES__INSTANTLY__API_KEY" in line
    assert "wrong-key-123" not in line and "\n" not in line
    asked = [(r.method, r.path, tuple(r.query)) for r in warehouse.sim.state.log]
    assert asked and {r.status for r in warehouse.sim.state.log} == {401}
    assert len(asked) == len(set(asked)), "401 is not retried"
    if warehouse.db.exists():
        assert warehouse.tables() == {}


def test_the_key_never_reaches_the_warehouse_or_pipeline_files(warehouse):
    warehouse.load()
    key = warehouse.sim.api_key.encode()
    files = [p for p in warehouse.root.rglob("*") if p.is_file()]
    assert files
    assert [p for p in files if key in p.read_bytes()] == []
