"""dlt source `instantly`: campaigns, campaign analytics and inbox placement from Instantly API v2.

Resources are async generators, so dlt runs them concurrently on one event loop; inside a
resource many requests run at once, bounded by the client's budget and concurrency.
"""

from functools import partial
from typing import AsyncIterator, Callable, List, Optional, Sequence

import dlt
from dlt.sources import DltResource
from pendulum import Date

from pipelines.common.client import ApiClient
from pipelines.common.errors import ConfigError
from pipelines.common.concurrency import as_completed_bounded
from pipelines.common.dates import day_end, day_start, parse_day, parse_day_range, pull_range, utc_today
from pipelines.common.tracking import tracked_resource
from pipelines.instantly import settings
from pipelines.instantly.helpers import (
    CampaignCatalog,
    RequestPlan,
    analytics_for,
    chunks,
    make_client,
    overview_rows,
    per_day_requests,
    range_requests,
    step_rows,
)
from pipelines.instantly.placement import (
    PlacementActivity,
    PlacementTests,
    TestCursors,
    as_booleans,
    items_of_every_test,
    stats_requests,
)

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


@dlt.source(name="instantly", max_table_nesting=2)
def instantly(
    api_key: str = dlt.secrets.value,
    base_url: str = settings.DEFAULT_BASE_URL,
    start_date: Optional[str] = None,
    end_date: Optional[str] = None,
    lookback_days: int = settings.DEFAULT_LOOKBACK_DAYS,
    max_requests_per_second: float = settings.DEFAULT_MAX_REQUESTS_PER_SECOND,
    max_concurrency: int = settings.DEFAULT_MAX_CONCURRENCY,
    backfill: Optional[str] = None,
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
        backfill: `FROM[:TO]`, UTC days to re-pull and merge in this run (the CLI's `--backfill`),
            whatever the cursors say; the cursors themselves are left as they are.
    """
    if not str(api_key).strip():
        raise ConfigError(f"SOURCES__INSTANTLY__API_KEY is empty. {settings.KEY_HINT}")
    first_day = (
        parse_day(start_date, "SOURCES__INSTANTLY__START_DATE")
        if start_date
        else utc_today().subtract(days=settings.DEFAULT_BACKFILL_DAYS)
    )
    if first_day > utc_today():
        raise ConfigError(
            f"SOURCES__INSTANTLY__START_DATE {first_day} is after today ({utc_today()} UTC):"
            " set a day in the past (a later day would hold the cursor there)"
        )
    last_day = parse_day(end_date, "SOURCES__INSTANTLY__END_DATE") if end_date else None
    if last_day and last_day < first_day:
        raise ConfigError("SOURCES__INSTANTLY__END_DATE is before SOURCES__INSTANTLY__START_DATE")
    backfill_days = parse_day_range(backfill, "--backfill") if backfill else None
    if int(lookback_days) < 0:
        raise ConfigError("SOURCES__INSTANTLY__LOOKBACK_DAYS must be 0 or more")
    if int(max_concurrency) < 1:
        raise ConfigError("SOURCES__INSTANTLY__MAX_CONCURRENCY must be 1 or more")
    try:
        client = make_client(api_key, base_url, float(max_requests_per_second), int(max_concurrency))
    except ValueError as exc:
        raise ConfigError(f"SOURCES__INSTANTLY__MAX_REQUESTS_PER_SECOND: {exc}") from None
    catalog = CampaignCatalog(client)
    tests = PlacementTests(client)
    activity = PlacementActivity()

    def by_day() -> dlt.sources.incremental:
        if backfill_days:  # a fixed range: dlt then neither reads nor moves the cursor
            return dlt.sources.incremental(
                "date", initial_value=backfill_days[0].isoformat(), end_value=backfill_days[1].isoformat(), range_end="closed"
            )
        return dlt.sources.incremental(
            "date", initial_value=first_day.isoformat(), lag=int(lookback_days)
        )

    def per_test(resource: str) -> Callable[[], TestCursors]:
        """Records and reports: a cursor per test on `timestamp_created`, minus the lookback as a
        safety overlap for late-arriving seeds. Read from state when the resource runs."""
        return lambda: TestCursors(
            dlt.current.source_state().setdefault("test_cursors", {}).setdefault(resource, {}),
            day_start(backfill_days[0] if backfill_days else first_day),
            int(lookback_days),
            from_start=bool(backfill_days),
        )

    if backfill_days:
        last_day = backfill_days[1]
    date_to = day_end(last_day) if last_day else None

    in_flight = 4 * int(max_concurrency)
    merge = dict(write_disposition="merge")
    return (
        tracked_resource(
            campaigns,
            name="instantly_campaigns",
            primary_key="id",
            columns=CAMPAIGN_COLUMNS,
            **merge,
        )(client, catalog),
        tracked_resource(
            campaign_analytics,
            name="instantly_campaign_analytics",
            primary_key="campaign_id",
            **merge,
        )(client, catalog),
        tracked_resource(
            campaign_analytics_by_day,
            name="instantly_campaign_analytics_daily",
            primary_key=("campaign_id", "date"),
            columns=DAY_COLUMNS,
            **merge,
        )(client, catalog, by_day(), last_day, in_flight, range_requests),
        tracked_resource(
            campaign_analytics_by_day,
            name="instantly_campaign_analytics_steps",
            primary_key=("campaign_id", "date", "step", "variant"),
            columns=DAY_COLUMNS,
            **merge,
        )(client, catalog, by_day(), last_day, in_flight, partial(per_day_requests, step_rows)),
        tracked_resource(
            campaign_analytics_by_day,
            name="instantly_campaign_analytics_overview",
            primary_key=("campaign_id", "date"),
            columns=DAY_COLUMNS,
            **merge,
        )(client, catalog, by_day(), last_day, in_flight, partial(per_day_requests, overview_rows)),
        tracked_resource(
            inbox_placement_tests,
            name="instantly_inbox_placement_tests",
            primary_key="id",
            columns=TEST_COLUMNS,
            **merge,
        )(tests),
        tracked_resource(
            esp_options,
            name="instantly_esp_options",
            write_disposition="replace",
        )(client),
        tracked_resource(
            inbox_placement_records,
            name="instantly_inbox_placement_analytics",
            primary_key="id",
            columns=RECORD_COLUMNS,
            **merge,
        )(client, tests, activity, per_test("instantly_inbox_placement_analytics"), date_to, in_flight),
        tracked_resource(
            inbox_placement_stats,
            name="instantly_inbox_placement_stats",
            primary_key=("test_id", "date", "recipient_geo", "recipient_type", "recipient_esp"),
            columns=DAY_COLUMNS,
            **merge,
        )(client, activity, in_flight),
        tracked_resource(
            inbox_placement_reports,
            name="instantly_inbox_placement_reports",
            primary_key="id",
            **merge,
        )(client, tests, per_test("instantly_inbox_placement_reports"), date_to, in_flight),
    )


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
    catalog: CampaignCatalog,
    cursor: dlt.sources.incremental,
    last_day: Optional[Date],
    in_flight: int,
    plan: RequestPlan,
) -> AsyncIterator[List[dict]]:
    """Rows dated by UTC day over the pulled window, for every campaign the workspace knows.

    `plan` turns (campaign, first day) pairs into requests: one per campaign over the whole
    window for `/daily`, one per campaign per day for endpoints that aggregate over their window.
    """
    days = pull_range(cursor.start_value, last_day)
    if not days:
        return
    async with client:
        first_days = await catalog.first_days(days[0])
        async for rows in as_completed_bounded(plan(client, first_days, days[-1]), in_flight):
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
    client: ApiClient,
    tests: PlacementTests,
    activity: PlacementActivity,
    cursors: Callable[[], TestCursors],
    date_to: Optional[str],
    in_flight: int,
) -> AsyncIterator[List[dict]]:
    """Per-email records of every test created since that test's cursor (minus the overlap);
    merging on `id` makes the overlap harmless. Tells `activity` which test-day-cells it saw."""
    path = settings.INBOX_PLACEMENT_RECORDS
    try:
        async with client:
            async for page in items_of_every_test(client, tests, path, cursors(), date_to, in_flight):
                records = [as_booleans(r) for r in page]
                activity.add(records)
                yield records
    finally:
        activity.complete.set()


async def inbox_placement_stats(
    client: ApiClient, activity: PlacementActivity, in_flight: int
) -> AsyncIterator[List[dict]]:
    """Counts per (test, UTC day, geo, type, ESP), asked only for the cells the records touched."""
    await activity.complete.wait()
    async with client:
        async for rows in as_completed_bounded(stats_requests(client, activity), in_flight):
            if rows:
                yield rows


async def inbox_placement_reports(
    client: ApiClient,
    tests: PlacementTests,
    cursors: Callable[[], TestCursors],
    date_to: Optional[str],
    in_flight: int,
) -> AsyncIterator[List[dict]]:
    """Blacklist and SpamAssassin reports per test since its cursor (minus the overlap); rules
    and blacklists land in child tables."""
    path = settings.INBOX_PLACEMENT_REPORTS
    async with client:
        async for reports in items_of_every_test(client, tests, path, cursors(), date_to, in_flight):
            yield reports
