"""dlt source `instantly`: campaigns, campaign analytics, inbox placement and sender health
(accounts, their daily sending, warmup and DNS vitals) from Instantly API v2.

Resources are async generators, so dlt runs them concurrently on one event loop; inside a
resource many requests run at once, bounded by the client's budget and concurrency.
"""

from functools import partial
from typing import Any, AsyncIterator, Awaitable, Callable, List, Optional, Sequence

import dlt
from dlt.sources import DltResource
from pendulum import Date

from pipelines.common.client import ApiClient, make_client
from pipelines.common.concurrency import as_completed_bounded
from pipelines.common.dates import DayWindow, pull_range, utc_today
from pipelines.common.errors import ConfigError
from pipelines.common.rate_limit import SharedBudget
from pipelines.common.tracking import RunStats, tracked_resource
from pipelines.instantly import settings
from pipelines.instantly.accounts import (
    AccountList,
    WarmupAnswers,
    daily_requests,
    health_rows,
    vitals_batches,
    vitals_rows,
    warmup_day_rows,
)
from pipelines.instantly.activity import ActivityMap, campaign_days
from pipelines.instantly.helpers import (
    DAILY_ENDPOINT,
    OVERVIEW_ENDPOINT,
    STEPS_ENDPOINT,
    CampaignCatalog,
    CampaignDays,
    DayEndpoint,
    analytics_for,
    chunks,
)
from pipelines.instantly.placement import (
    PlacementActivity,
    PlacementTests,
    as_booleans,
    items_of_every_placement_test,
    placement_test_cursors,
    stats_request_count,
    stats_requests,
)
from pipelines.instantly.workspaces import CurrentWorkspace, WorkspaceKey, stamped

DAY_COLUMNS = {"date": {"data_type": "date"}}
# Columns often null in a whole load are typed up front, so they exist for dbt from the start.
RECORD_COLUMNS = {
    **{flag: {"data_type": "bool"} for flag in settings.PLACEMENT_FLAGS},
    **{code: {"data_type": "bigint"} for code in
       ("record_type", "sender_esp", "recipient_esp", "recipient_geo", "recipient_type")},
    "sender_email": {"data_type": "text"},
    "recipient_email": {"data_type": "text"},
}
TEST_COLUMNS = {
    "status": {"data_type": "bigint"},
    "campaign_id": {"data_type": "text"},
    "description": {"data_type": "text"},
    "timestamp_next_run": {"data_type": "text"},
}
CAMPAIGN_COLUMNS = {
    "campaign_schedule__start_date": {"data_type": "text"},
    "campaign_schedule__end_date": {"data_type": "text"},
}
VITALS_COLUMNS = {
    **DAY_COLUMNS,
    **{check: {"data_type": "bool"} for check in ("all_pass", "mx", "spf", "dkim", "dmarc")},
}
STATS_HINTS = dlt.mark.make_hints(
    table_name=settings.STATS_TABLE,
    primary_key=["test_id", "date", "recipient_geo", "recipient_type", "recipient_esp"],
    write_disposition="merge",
    columns=DAY_COLUMNS,
)
"""The stats table, written by the records resource (stats are asked for the cells it saw)."""


@dlt.source(name="instantly", max_table_nesting=2)
def instantly(
    api_key: str = dlt.secrets.value,
    base_url: str = settings.DEFAULT_BASE_URL,
    start_date: Optional[str] = None,
    end_date: Optional[str] = None,
    lookback_days: int = settings.DEFAULT_LOOKBACK_DAYS,
    max_requests_per_second: float = settings.DEFAULT_MAX_REQUESTS_PER_SECOND,
    max_concurrency: int = settings.DEFAULT_MAX_CONCURRENCY,
    api_limit_per_second: float = settings.API_LIMIT_PER_SECOND,
    request_plan: str = settings.DEFAULT_REQUEST_PLAN,
    workspace_label: str = settings.DEFAULT_WORKSPACE_LABEL,
    key_hint: str = settings.KEY_HINT,
    as_workspace: Optional[str] = None,
    backfill: Optional[str] = None,
    run: Optional[RunStats] = None,
    workspace: Optional[dict] = None,
    budget: Optional[SharedBudget] = None,
) -> Sequence[DltResource]:
    """Campaigns, their analytics and inbox placement, by UTC day, incremental with a lookback.

    Args:
        api_key: Instantly API v2 key (secret).
        base_url: API root, for a proxy or the local simulator.
        start_date: First UTC day of the first run's backfill (default: 90 days ago).
        end_date: Last UTC day to pull (default: today); for fixed-range backfills.
        lookback_days: Days before the last loaded day that every run pulls again, because
            recent numbers keep changing (late opens, replies, CRM statuses).
        max_requests_per_second: This pipeline's share of the workspace budget (max 100).
        max_concurrency: Requests in flight at once.
        api_limit_per_second: The most the API admits a second (Instantly: 100); see settings.
        request_plan: `activity` (ask the per-day endpoints only where a campaign did something
            that day) or `exhaustive` (every campaign, every day); both load the same rows.
        workspace_label: Our name for the workspace the key belongs to (agency mode: its label in
            `WORKSPACES`); every row carries the workspace's id, `instantly_workspaces` the label.
        key_hint: What to check when the key is refused (names the setting that holds it).
        as_workspace: A member workspace of the key's workspace group to act on (UNVERIFIED
            `x-as-workspace` header; agency mode's `WORKSPACE_GROUP_KEY`).
        backfill: `FROM[:TO]`, UTC days to re-pull and merge in this run (the CLI's `--backfill`),
            whatever the cursors say; the cursors themselves are left as they are.
        run: Where this run's requests, retries and seconds are counted (the runner's).
        workspace: The workspace the key reads, as the runner resolved it before loading
            (`describe_workspace`); asked by the source itself when not given.
        budget: The workspace's request budget, shared with its other families loading at once.
    """
    if not str(api_key).strip():
        raise ConfigError(f"SOURCES__INSTANTLY__API_KEY is empty. {key_hint}")
    if request_plan not in settings.REQUEST_PLANS:
        raise ConfigError(
            f"SOURCES__INSTANTLY__REQUEST_PLAN must be one of {', '.join(settings.REQUEST_PLANS)}, got {request_plan!r}"
        )
    window = DayWindow.from_settings(
        "instantly", start_date, end_date, lookback_days, backfill, settings.DEFAULT_BACKFILL_DAYS
    )
    run = run if run is not None else RunStats()
    client = make_client(
        section="instantly",
        service="Instantly",
        base_url=base_url,
        auth=WorkspaceKey(workspace_label, api_key, as_workspace).headers,
        secret=api_key,
        key_hint=key_hint,
        max_requests_per_second=max_requests_per_second,
        max_concurrency=max_concurrency,
        stats=run.service("Instantly"),
        scopes=settings.SCOPES,
        budget=budget,
        api_limit=api_limit_per_second,
    )
    current = CurrentWorkspace(client, workspace_label, workspace)
    catalog = CampaignCatalog(client)
    activity = ActivityMap(client, catalog)
    tests = PlacementTests(client)
    accounts = AccountList(client)
    warmup = WarmupAnswers(client, accounts)
    in_flight = 4 * int(max_concurrency)

    def resource(fn: Callable[..., AsyncIterator[Any]], name: str, **hints: Any) -> Any:
        """A tracked resource whose rows carry the workspace id; merged on its primary key when
        it has one."""
        merge = {"write_disposition": "merge"} if "primary_key" in hints else {}
        return tracked_resource(stamped(fn, current), name, run, **merge, **hints)

    def by_day(name: str, primary_key: Sequence[str], endpoint: DayEndpoint) -> DltResource:
        """A campaign-analytics resource by UTC day, on the window's day cursor."""
        return resource(campaign_analytics_by_day, name, primary_key=primary_key, columns=DAY_COLUMNS)(
            client=client, ask=partial(campaign_days, request_plan, catalog, activity, endpoint.signals), cursor=window.cursor(),
            window=window, in_flight=in_flight, endpoint=endpoint,
        )

    return (
        resource(current_workspace, "instantly_workspaces", primary_key="id")(workspace=current),
        resource(campaigns, "instantly_campaigns", primary_key="id", columns=CAMPAIGN_COLUMNS)(
            client=client, catalog=catalog,
        ),
        resource(campaign_analytics, "instantly_campaign_analytics", primary_key="campaign_id")(
            client=client, catalog=catalog,
        ),
        by_day("instantly_campaign_analytics_daily", ("campaign_id", "date"), DAILY_ENDPOINT),
        by_day("instantly_campaign_analytics_steps", ("campaign_id", "date", "step", "variant"), STEPS_ENDPOINT),
        by_day("instantly_campaign_analytics_overview", ("campaign_id", "date"), OVERVIEW_ENDPOINT),
        resource(inbox_placement_tests, "instantly_inbox_placement_tests", primary_key="id", columns=TEST_COLUMNS)(
            tests=tests,
        ),
        resource(
            esp_options, "instantly_esp_options", primary_key=("workspace_id", "region", "sub_region", "type", "esp"),
        )(client=client),
        resource(inbox_placement_records, settings.RECORDS_TABLE, primary_key="id", columns=RECORD_COLUMNS)(
            client=client, tests=tests, window=window, in_flight=in_flight,
        ),
        resource(inbox_placement_reports, "instantly_inbox_placement_reports", primary_key="id")(
            client=client, tests=tests, window=window, in_flight=in_flight,
        ),
        resource(sending_accounts, "instantly_accounts", primary_key=("workspace_id", "email"))(accounts=accounts),
        resource(
            account_analytics_daily, "instantly_account_analytics_daily",
            primary_key=("workspace_id", "email_account", "date"), columns=DAY_COLUMNS,
        )(client=client, accounts=accounts, cursor=window.cursor(), window=window, in_flight=in_flight),
        resource(
            warmup_analytics_daily, "instantly_warmup_analytics_daily", primary_key=("workspace_id", "email", "date"),
            columns=DAY_COLUMNS,
        )(warmup=warmup),
        resource(
            warmup_health, "instantly_warmup_health", primary_key=("workspace_id", "email", "date"), columns=DAY_COLUMNS,
        )(warmup=warmup),
        resource(
            domain_vitals, "instantly_domain_vitals", primary_key=("workspace_id", "domain", "date"),
            columns=VITALS_COLUMNS,
        )(client=client, accounts=accounts),
    )


async def current_workspace(workspace: CurrentWorkspace) -> AsyncIterator[dict]:
    """The workspace the key belongs to (id, name, plan) with our label: one row per workspace."""
    async with workspace.client:
        yield await workspace.row()


async def campaigns(client: ApiClient, catalog: CampaignCatalog) -> AsyncIterator[List[dict]]:
    """The campaign list, re-read every run (names, statuses and settings change)."""
    async with client:
        yield await catalog.listed()


async def campaign_analytics(
    client: ApiClient, catalog: CampaignCatalog
) -> AsyncIterator[List[dict]]:
    """Lifetime summary per campaign: the all-campaigns answer, then `ids=` batches for listed
    campaigns it left out (usually none, so usually one request in all)."""
    async with client:
        yield await catalog.reported()
        missing = await catalog.unreported_ids()
        batches = (analytics_for(client, batch) for batch in chunks(missing, settings.IDS_PER_REQUEST))
        async for rows in as_completed_bounded(batches, limit=8):
            if rows:
                yield rows


async def campaign_analytics_by_day(
    client: ApiClient,
    ask: Callable[[List[Date]], Awaitable[CampaignDays]],
    cursor: dlt.sources.incremental,
    window: DayWindow,
    in_flight: int,
    endpoint: DayEndpoint,
) -> AsyncIterator[List[dict]]:
    """Rows dated by UTC day over the pulled window, for the (campaign, day) pairs the request
    plan asks about (`ask`); `endpoint` turns them into requests: one per campaign over its days
    for `/daily`, one per campaign per day for endpoints that sum over their window.
    """
    days = pull_range(cursor.start_value, window.last_day)
    if not days:
        return
    async with client:
        asked = await ask(days)
        client.stats.plan(endpoint.count(asked))
        async for rows in as_completed_bounded(endpoint.requests(client, asked), in_flight):
            if rows:
                yield rows


async def inbox_placement_tests(tests: PlacementTests) -> AsyncIterator[List[dict]]:
    """Every test, re-listed each run (status and next run change); deleted ones stay loaded."""
    async with tests.client:
        yield await tests.listed()


async def esp_options(client: ApiClient) -> AsyncIterator[List[dict]]:
    """The reference list of seed regions, types and ESPs."""
    async with client:
        yield await client.get(settings.ESP_OPTIONS)


async def inbox_placement_records(
    client: ApiClient, tests: PlacementTests, window: DayWindow, in_flight: int
) -> AsyncIterator[object]:
    """Per-email records of every test created since that test's cursor (minus the overlap),
    merged on `id` so the overlap is harmless; then, into the stats table, the counts per
    (test, UTC day, geo, type, ESP) for exactly the cells those records touched."""
    cursors = placement_test_cursors(settings.RECORDS_TABLE, window)
    activity = PlacementActivity()
    async with client:
        async for page in items_of_every_placement_test(
            client, tests, settings.INBOX_PLACEMENT_RECORDS, cursors, window.date_to, in_flight
        ):
            records = [as_booleans(r) for r in page]
            activity.add(records)
            yield records
        client.stats.plan(stats_request_count(activity))
        async for rows in as_completed_bounded(stats_requests(client, activity), in_flight):
            if rows:
                yield dlt.mark.with_hints(rows, STATS_HINTS, create_table_variant=True)


async def inbox_placement_reports(
    client: ApiClient, tests: PlacementTests, window: DayWindow, in_flight: int
) -> AsyncIterator[List[dict]]:
    """Blacklist and SpamAssassin reports per test since its cursor (minus the overlap); rules
    and blacklists land in child tables."""
    cursors = placement_test_cursors("instantly_inbox_placement_reports", window)
    async with client:
        async for reports in items_of_every_placement_test(
            client, tests, settings.INBOX_PLACEMENT_REPORTS, cursors, window.date_to, in_flight
        ):
            yield reports


async def sending_accounts(accounts: AccountList) -> AsyncIterator[List[dict]]:
    """Every sending account, every page, every run; an account removed upstream stays loaded."""
    async with accounts.client:
        listed = await accounts.listed()
        if listed:
            yield listed


async def account_analytics_daily(
    client: ApiClient, accounts: AccountList, cursor: dlt.sources.incremental, window: DayWindow, in_flight: int
) -> AsyncIterator[List[dict]]:
    """Campaign sending per account and UTC day over the pulled window: windows of at most 31 days
    times batches of at most 200 accounts, so a 90-day backfill of 200 accounts is 3 requests."""
    days = pull_range(cursor.start_value, window.last_day)
    async with client:
        emails = await accounts.emails()
        if not days or not emails:
            return
        requests = list(daily_requests(client, emails, days))
        client.stats.plan(len(requests))
        async for rows in as_completed_bounded(iter(requests), in_flight):
            if rows:
                yield rows


async def warmup_analytics_daily(warmup: WarmupAnswers) -> AsyncIterator[List[dict]]:
    """Warmup per account and UTC day, for the recent window the API serves; merging keeps the
    older days, so the warehouse holds a history the API does not."""
    async with warmup.client:
        rows = warmup_day_rows(await warmup.get())
        if rows:
            yield rows


async def warmup_health(warmup: WarmupAnswers) -> AsyncIterator[List[dict]]:
    """Each account's health score and label as served on the run's UTC day: a daily history."""
    async with warmup.client:
        rows = health_rows(await warmup.get(), utc_today())
        if rows:
            yield rows


async def domain_vitals(client: ApiClient, accounts: AccountList) -> AsyncIterator[List[dict]]:
    """MX, SPF, DKIM and DMARC of every sending domain, checked on the run's UTC day."""
    async with client:
        day = utc_today()
        for batch in vitals_batches(await accounts.emails()):
            rows = await vitals_rows(client, batch, day)
            if rows:
                yield rows
