"""The activity plan asks the per-day endpoints only where something happened, and loads exactly
what the exhaustive plan loads.

A sparse workspace (most campaigns idle on most days, CRM updates and replies on days without
sends, bounces the day after) is loaded with each plan, in-process: a backfill, then a daily run
with the lookback. Every raw table must be the same (the marts are built from the raw tables
alone); dbt builds the activity plan's marts once.
"""

from typing import List, Set, Tuple

import duckdb
import pytest

from helpers import Warehouse, env_for, run_cli, serving
from pipelines.instantly import settings
from pipelines.instantly.campaigns import has_counts
from pipelines.outputs.transform import dbt_build
from simulator.accounts import AccountsWorkspace
from simulator.compare import warehouse_tables
from simulator.placement import PlacementWorkspace
from simulator.workspace import SparseWorkspace

PLANS = ("exhaustive", "activity")


@pytest.fixture(scope="module")
def sparse():
    accounts = AccountsWorkspace(accounts=4, days=30)
    placement = PlacementWorkspace(tests=2, days=30, senders=accounts.emails[:2], sender_esps=accounts.sender_esps())
    with serving(SparseWorkspace(campaigns=30, days=30, deleted=1, drafts=1), placement, accounts) as sim:
        yield sim


@pytest.fixture(scope="module")
def loads(sparse, tmp_path_factory):
    """Per plan: the warehouse, and the backfill's and the daily run's logged requests; the
    activity plan's marts built."""
    ws = sparse.workspace
    out = {}
    for plan in PLANS:
        warehouse = Warehouse(tmp_path_factory.mktemp(plan), sparse)
        logs = []
        for end in (ws.today.subtract(days=4), ws.today):
            sparse.state.reset()
            warehouse.load(request_plan=plan, end_date=end.isoformat())
            logs.append(list(sparse.state.log))
        out[plan] = (warehouse.db, logs)
    dbt_build(Warehouse(out["activity"][0].parent, sparse).destination(),
              target_path=str(tmp_path_factory.mktemp("target")))
    return out


def asked_pairs(log, path: str, **where: bool) -> List[Tuple[str, str]]:
    """(campaign, day) of every request to `path`, of those having (or lacking) the named params."""
    return [
        (r.param("campaign_id") or r.param("id"), r.param("start_date")[:10])
        for r in log
        if r.path == path and all((r.param(name) is not None) == has for name, has in where.items())
    ]


def active_pairs(ws, days) -> Set[Tuple[str, str]]:
    """The campaign-days with anything to report, by the simulator's own counters."""
    return {(c.id, d.isoformat()) for c in ws.campaigns for d in days if has_counts(ws.day_totals(c.id, d))}


def step_pairs(ws, days) -> Set[Tuple[str, str]]:
    """The campaign-days whose `/steps` answer counts something."""
    return {(c.id, d.isoformat()) for c in ws.campaigns for d in days
            if any(has_counts(row) for row in ws.step_records(c.id, d))}


def test_the_sparse_workspace_has_days_only_the_overview_sees(sparse):
    ws = sparse.workspace
    quiet = [(c.id, d) for c in ws.campaigns for d in ws.days() if not ws.step_records(c.id, d)]
    counters = [ws.day_totals(cid, d) for cid, d in quiet]
    assert any(t["interested"] + t["meetings_booked"] + t["meetings_completed"] + t["won"] for t in counters)
    assert any(t["bounced"] for t in counters)
    late_replies = [rows for c in ws.campaigns for d in ws.days() if c.last_active and d > c.last_active
                    for rows in [ws.step_records(c.id, d)] if rows]
    assert late_replies and all(r["sent"] == 0 for rows in late_replies for r in rows)


def test_both_plans_load_the_same_raw_tables(loads):
    exhaustive, activity = ({t: rows for t, rows in warehouse_tables(loads[plan][0]).items() if t.startswith("raw.")}
                            for plan in PLANS)
    assert exhaustive.keys() == activity.keys()
    for table in exhaustive:
        assert activity[table] == exhaustive[table], table
    assert exhaustive["raw.instantly_campaign_analytics_overview"]


def run_windows(ws, log, last, path: str, **where: bool):
    """The pairs a run asked of `path`, and the days of its window: each by-day resource resumes
    from its own cursor, so the window starts at the first day the run asked about."""
    asked = asked_pairs(log, path, **where)
    first = min(day for _, day in asked)
    return asked, [d for d in ws.days() if first <= d.isoformat() and d <= last]


def test_campaign_daily_keeps_days_of_only_bounces_or_crm_updates_after_the_last_send(loads):
    with duckdb.connect(str(loads["activity"][0]), read_only=True) as con:
        late = con.execute(
            "select count(*) from analytics.campaign_daily m"
            " where m.activity_date > (select max(activity_date) from staging.stg_instantly__campaign_analytics_daily d"
            "                          where d.campaign_id = m.campaign_id)"
            " and m.sent_count = 0 and m.bounced_count + m.interested_count + m.meeting_booked_count + m.closed_count > 0"
        ).fetchone()[0]
    assert late > 0


def test_the_activity_plan_asks_overview_exactly_for_the_active_campaign_days(sparse, loads):
    ws = sparse.workspace
    for log, last in zip(loads["activity"][1], (ws.today.subtract(days=4), ws.today), strict=True):
        asked, window = run_windows(ws, log, last, settings.CAMPAIGN_ANALYTICS_OVERVIEW, id=True)
        assert sorted(asked) == sorted(active_pairs(ws, window))


def test_the_activity_plan_asks_steps_where_steps_count_something_and_nowhere_idle(sparse, loads):
    """Steps count sends, opens, replies, clicks and opportunities: a day of bounces or CRM updates
    only is not asked, unless halving left a campaign's fields unknown."""
    ws = sparse.workspace
    skipped = 0
    for log, last in zip(loads["activity"][1], (ws.today.subtract(days=4), ws.today), strict=True):
        asked, window = run_windows(ws, log, last, settings.CAMPAIGN_ANALYTICS_STEPS)
        assert step_pairs(ws, window) <= set(asked) <= active_pairs(ws, window)
        assert len(asked) == len(set(asked))
        skipped += len(active_pairs(ws, window) - set(asked))
    assert skipped, "the sparse workspace should have active days without anything for /steps"


def test_the_activity_plan_asks_daily_only_for_campaigns_active_in_the_window(sparse, loads):
    ws = sparse.workspace
    backfill, _ = loads["activity"][1]
    days = [d for d in ws.days() if d <= ws.today.subtract(days=4)]
    asked = [r.param("campaign_id") for r in backfill if r.path == settings.CAMPAIGN_ANALYTICS_DAILY]
    with_rows = {c.id for c in ws.campaigns for d in days if ws.daily_row(c.id, d)}
    assert with_rows <= set(asked) <= {cid for cid, _ in active_pairs(ws, days)}
    assert len(asked) == len(set(asked)) < len(ws.campaigns)


def test_the_activity_plan_asks_the_map_once_per_day(sparse, loads):
    ws = sparse.workspace
    backfill, _ = loads["activity"][1]
    windowed = [r.param("start_date")[:10] for r in backfill
                if r.path == settings.CAMPAIGN_ANALYTICS and r.param("start_date")]
    assert sorted(windowed) == [d.isoformat() for d in ws.days() if d <= ws.today.subtract(days=4)]


def test_the_activity_plan_makes_fewer_requests_on_a_sparse_workspace(loads):
    asked = {plan: sum(len(log) for log in loads[plan][1]) for plan in PLANS}
    assert asked["activity"] < asked["exhaustive"], asked


def test_an_unknown_request_plan_is_one_clear_line(sim, tmp_path):
    done = run_cli(env_for(sim, tmp_path, SOURCES__INSTANTLY__REQUEST_PLAN="smart"))
    assert done.returncode == 1
    assert "SOURCES__INSTANTLY__REQUEST_PLAN must be one of activity, exhaustive, got 'smart'" in done.stdout + done.stderr
    assert sim.state.log == []
