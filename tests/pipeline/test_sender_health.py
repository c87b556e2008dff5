"""Sender health: accounts, their daily sending, warmup and DNS vitals, against the simulator's truth."""

import pendulum
import pytest

from helpers import Warehouse, serving
from pipelines.engine.explain import explain
from pipelines.instantly import settings
from simulator.accounts import AccountsWorkspace
from simulator.placement import PlacementWorkspace
from simulator.workspace import Workspace

ACCOUNT_RESOURCES = (
    "instantly_accounts", "instantly_account_analytics_daily", "instantly_warmup_analytics_daily",
    "instantly_warmup_health", "instantly_domain_vitals",
)


def truth_daily(aw: AccountsWorkspace, first=None):
    return {
        (a.email, d.isoformat()): row["sent"]
        for a in aw.listed() for d in aw.days() if (first is None or d >= first)
        for row in [aw.daily(a.email, d)] if row
    }


def truth_warmup(aw: AccountsWorkspace):
    return {
        (a.email, d.isoformat()): tuple(aw.warmup(a.email, d).get(k, 0) for k in settings.WARMUP_COUNTERS)
        for a in aw.listed() for d in aw.warmup_days()
    }


def loaded_daily(wh: Warehouse):
    return {(e, d): s for e, d, s in wh.query(
        "select email_account, cast(date as varchar), sent from raw.instantly_account_analytics_daily")}


def loaded_warmup(wh: Warehouse):
    return {(r[0], r[1]): tuple(r[2:]) for r in wh.query(
        "select email, cast(date as varchar), sent, landed_inbox, landed_spam, received"
        " from raw.instantly_warmup_analytics_daily")}


def account_requests(sim, path):
    return [r for r in sim.state.log if r.path == path]


def test_a_backfill_loads_every_account_day_warmup_day_health_score_and_domain(warehouse):
    aw = warehouse.sim.accounts
    warehouse.load(*ACCOUNT_RESOURCES)
    assert {e for (e,) in warehouse.query("select email from raw.instantly_accounts")} == set(aw.emails)
    assert loaded_daily(warehouse) == truth_daily(aw)
    assert loaded_warmup(warehouse) == truth_warmup(aw)
    health = warehouse.query("select email, cast(date as varchar), health_score from raw.instantly_warmup_health")
    today = pendulum.now("UTC").date().isoformat()
    assert {(e, d, s) for e, d, s in health} == {(e, today, aw.health(e)["health_score"]) for e in aw.emails}
    vitals = dict(warehouse.query("select domain, all_pass from raw.instantly_domain_vitals"))
    assert vitals == {a.domain: a.domain not in aw.failing for a in aw.accounts}


def test_a_domain_failing_its_vitals_keeps_every_check_and_the_list_it_came_in(warehouse):
    warehouse.load("instantly_domain_vitals", "instantly_accounts")
    failing = warehouse.query(
        "select domain, all_pass, mx, spf, dkim, dmarc, result_list from raw.instantly_domain_vitals where not all_pass")
    assert failing == [(d, False, True, True, False, False, "failure") for d in sorted(warehouse.sim.accounts.failing)]


def test_an_incremental_run_costs_a_handful_of_requests_and_keeps_the_warehouse_complete(warehouse):
    warehouse.load(*ACCOUNT_RESOURCES)
    warehouse.sim.state.reset()
    warehouse.load(*ACCOUNT_RESOURCES, lookback_days=3)
    daily = account_requests(warehouse.sim, settings.ACCOUNT_ANALYTICS_DAILY)
    assert len(daily) == 1
    assert daily[0].param("start_date")[:10] == warehouse.sim.workspace.today.subtract(days=3).isoformat()
    # the workspace (whose id every row carries), the account list (a page, then the empty one), daily, warmup, vitals
    assert len(warehouse.sim.state.log) == 6
    assert loaded_daily(warehouse) == truth_daily(warehouse.sim.accounts)
    assert loaded_warmup(warehouse) == truth_warmup(warehouse.sim.accounts)


def test_omitted_zero_counters_are_stored_as_zero(warehouse):
    aw = warehouse.sim.accounts
    warehouse.load("instantly_warmup_analytics_daily", "instantly_accounts")
    omitted = sum("landed_spam" not in aw.warmup(a.email, d) for a in aw.listed() for d in aw.warmup_days())
    assert omitted > 0
    assert warehouse.query("select count(*) from raw.instantly_warmup_analytics_daily where landed_spam is null") == [(0,)]
    assert warehouse.query("select count(*) from raw.instantly_warmup_analytics_daily where landed_spam = 0") == [(omitted,)]


def test_warmup_days_older_than_the_api_window_stay_in_the_warehouse(warehouse):
    aw = warehouse.sim.accounts
    warehouse.load("instantly_warmup_analytics_daily", "instantly_accounts")
    before = loaded_warmup(warehouse)
    aw.warmup_window_days = 3
    try:
        warehouse.load("instantly_warmup_analytics_daily", "instantly_accounts")
    finally:
        aw.warmup_window_days = 14
    assert loaded_warmup(warehouse) == before
    assert len({d for _, d in before}) == 14


def test_a_key_without_the_accounts_scope_is_one_line_naming_it(warehouse):
    warehouse.sim.state.reset(missing_scope="accounts:read")
    with pytest.raises(Exception) as failure:
        warehouse.load("instantly_accounts")
    line = explain(failure.value)
    assert "HTTP 403" in line and "accounts:read" in line and "SOURCES__INSTANTLY__API_KEY" in line


@pytest.fixture(scope="module")
def many_accounts():
    """201 accounts over 75 days: past both the 200-email and the 31-day limits."""
    accounts = AccountsWorkspace(accounts=201, days=75)
    with serving(Workspace(campaigns=0, days=75, deleted=0, drafts=0), PlacementWorkspace(tests=0, days=75),
                 accounts) as sim:
        yield sim


def test_a_75_day_backfill_of_201_accounts_is_chunked_within_the_api_limits(many_accounts, tmp_path):
    wh = Warehouse(tmp_path, many_accounts)
    many_accounts.state.reset()
    wh.load(*ACCOUNT_RESOURCES)
    daily = account_requests(many_accounts, settings.ACCOUNT_ANALYTICS_DAILY)
    assert len(daily) == 3 * 2
    for request in daily:
        first, last = (pendulum.parse(request.param(p)).date() for p in ("start_date", "end_date"))
        assert (last - first).days + 1 <= 31
        assert 1 <= len([v for k, v in request.query if k == "emails"]) <= 200
    warmup = account_requests(many_accounts, settings.WARMUP_ANALYTICS)
    assert sorted(len(r.body["emails"]) for r in warmup) == [1, 100, 100]
    assert all(r.status == 200 for r in many_accounts.state.log)
    assert loaded_daily(wh) == truth_daily(many_accounts.accounts)
    assert loaded_warmup(wh) == truth_warmup(many_accounts.accounts)


def test_an_account_removed_upstream_stays_in_the_warehouse(many_accounts, tmp_path):
    wh = Warehouse(tmp_path, many_accounts)
    wh.load("instantly_accounts")
    gone = many_accounts.accounts.listed()[0].email
    many_accounts.accounts.remove(gone)
    wh.load("instantly_accounts")
    assert wh.query(f"select count(*) from raw.instantly_accounts where email = '{gone}'") == [(1,)]
    assert wh.query("select count(*) from raw.instantly_accounts") == [(201,)]
