"""dlt source `instantly`: campaigns and campaign analytics from Instantly API v2.

Resources are async generators, so dlt runs them concurrently on one event loop; inside a
resource many requests run at once, bounded by the client's budget and concurrency.
"""

from functools import partial
from typing import AsyncIterator, List, Optional, Sequence

import dlt
from dlt.sources import DltResource
from pendulum import Date

from pipelines.common.client import ApiClient, ConfigError
from pipelines.common.concurrency import as_completed_bounded
from pipelines.common.dates import parse_day, pull_range, utc_today
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

DAY_COLUMNS = {"date": {"data_type": "date"}}
CAMPAIGN_COLUMNS = {  # often null, so typed up front rather than left to inference
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
) -> Sequence[DltResource]:
    """Campaigns and their analytics, day by day in UTC, incremental with a trailing lookback.

    Args:
        api_key: Instantly API v2 key (secret).
        base_url: API root, for a proxy or the local simulator.
        start_date: First UTC day of the first run's backfill (default: 90 days ago).
        end_date: Last UTC day to pull (default: today); for fixed-range backfills.
        lookback_days: Days before the last loaded day that every run pulls again, because
            recent numbers keep changing (late opens, replies, CRM statuses).
        max_requests_per_second: This pipeline's share of the workspace budget (max 100).
        max_concurrency: Requests in flight at once.
    """
    if not str(api_key).strip():
        raise ConfigError(f"SOURCES__INSTANTLY__API_KEY is empty. {settings.KEY_HINT}")
    first_day = (
        parse_day(start_date, "SOURCES__INSTANTLY__START_DATE")
        if start_date
        else utc_today().subtract(days=settings.DEFAULT_BACKFILL_DAYS)
    )
    last_day = parse_day(end_date, "SOURCES__INSTANTLY__END_DATE") if end_date else None
    if last_day and last_day < first_day:
        raise ConfigError("SOURCES__INSTANTLY__END_DATE is before SOURCES__INSTANTLY__START_DATE")
    if int(lookback_days) < 0:
        raise ConfigError("SOURCES__INSTANTLY__LOOKBACK_DAYS must be 0 or more")
    if int(max_concurrency) < 1:
        raise ConfigError("SOURCES__INSTANTLY__MAX_CONCURRENCY must be 1 or more")
    try:
        client = make_client(api_key, base_url, float(max_requests_per_second), int(max_concurrency))
    except ValueError as exc:
        raise ConfigError(f"SOURCES__INSTANTLY__MAX_REQUESTS_PER_SECOND: {exc}") from None
    catalog = CampaignCatalog(client)

    def by_day() -> dlt.sources.incremental:
        return dlt.sources.incremental(
            "date", initial_value=first_day.isoformat(), lag=int(lookback_days)
        )

    in_flight = 4 * int(max_concurrency)
    merge = dict(write_disposition="merge")
    return (
        dlt.resource(
            campaigns,
            name="instantly_campaigns",
            primary_key="id",
            columns=CAMPAIGN_COLUMNS,
            **merge,
        )(client, catalog),
        dlt.resource(
            campaign_analytics,
            name="instantly_campaign_analytics",
            primary_key="campaign_id",
            **merge,
        )(client, catalog),
        dlt.resource(
            campaign_analytics_by_day,
            name="instantly_campaign_analytics_daily",
            primary_key=("campaign_id", "date"),
            columns=DAY_COLUMNS,
            **merge,
        )(client, catalog, by_day(), last_day, in_flight, range_requests),
        dlt.resource(
            campaign_analytics_by_day,
            name="instantly_campaign_analytics_steps",
            primary_key=("campaign_id", "date", "step", "variant"),
            columns=DAY_COLUMNS,
            **merge,
        )(client, catalog, by_day(), last_day, in_flight, partial(per_day_requests, step_rows)),
        dlt.resource(
            campaign_analytics_by_day,
            name="instantly_campaign_analytics_overview",
            primary_key=("campaign_id", "date"),
            columns=DAY_COLUMNS,
            **merge,
        )(client, catalog, by_day(), last_day, in_flight, partial(per_day_requests, overview_rows)),
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
