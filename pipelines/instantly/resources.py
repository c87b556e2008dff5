"""The Instantly source's resources: what each table holds and how its rows are asked for.

Each is an async generator, so dlt runs them concurrently on one event loop; inside one, many
requests run at once, bounded by the client's budget and concurrency. The source (`__init__`)
wires them to one run's client, catalog, plan and window.
"""

from typing import AsyncIterator, List

import dlt
from dlt.common.schema.typing import TTableSchemaColumns

from pipelines.common.changes import DELETED_HINT, listed_changes
from pipelines.common.client import ApiClient
from pipelines.common.concurrency import as_completed_bounded, chunks
from pipelines.common.dates import DayWindow, pull_range, utc_today
from pipelines.common.pagination import paginate
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
from pipelines.instantly.activity import RequestPlan
from pipelines.instantly.campaigns import CampaignCatalog, DayEndpoint, analytics_for
from pipelines.instantly.placement import (
    PlacementActivity,
    PlacementTests,
    as_booleans,
    items_of_every_placement_test,
    placement_test_cursors,
    stats_request_count,
    stats_requests,
)
from pipelines.instantly.workspaces import CurrentWorkspace

DAY_COLUMNS: TTableSchemaColumns = {"date": {"data_type": "date"}}
# Columns often null in a whole load are typed up front, so they exist for dbt from the start.
RECORD_COLUMNS: TTableSchemaColumns = {
    **{flag: {"data_type": "bool"} for flag in settings.PLACEMENT_FLAGS},
    **{code: {"data_type": "bigint"} for code in
       ("record_type", "sender_esp", "recipient_esp", "recipient_geo", "recipient_type")},
    "sender_email": {"data_type": "text"},
    "recipient_email": {"data_type": "text"},
}
TEST_COLUMNS: TTableSchemaColumns = {
    "status": {"data_type": "bigint"},
    "campaign_id": {"data_type": "text"},
    "description": {"data_type": "text"},
    "timestamp_next_run": {"data_type": "text"},
}
CAMPAIGN_COLUMNS: TTableSchemaColumns = {
    "campaign_schedule__start_date": {"data_type": "text"},
    "campaign_schedule__end_date": {"data_type": "text"},
}
VITALS_COLUMNS: TTableSchemaColumns = {
    **DAY_COLUMNS,
    **{check: {"data_type": "bool"} for check in ("all_pass", "mx", "spf", "dkim", "dmarc")},
}
TAG_COLUMNS: TTableSchemaColumns = {**DELETED_HINT, "description": {"data_type": "text"}}
MAPPING_COLUMNS: TTableSchemaColumns = DELETED_HINT
STATS_HINTS = dlt.mark.make_hints(
    table_name=settings.STATS_TABLE,
    primary_key=["test_id", "date", "recipient_geo", "recipient_type", "recipient_esp"],
    write_disposition="merge",
    columns=DAY_COLUMNS,
)
"""The stats table, written by the records resource (stats are asked for the cells it saw)."""



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
    plan: RequestPlan,
    cursor: dlt.sources.incremental,
    window: DayWindow,
    in_flight: int,
    endpoint: DayEndpoint,
) -> AsyncIterator[List[dict]]:
    """Rows dated by UTC day over the pulled window, for the (campaign, day) pairs the request
    `plan` asks about for what `endpoint` counts; `endpoint` turns them into requests: one per
    campaign over its days for `/daily`, one per campaign per day for endpoints that sum over
    their window.
    """
    days = pull_range(cursor.start_value, window.last_day)
    if not days:
        return
    async with client:
        asked = await plan.pairs(days, endpoint.signals)
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


async def changed_listing(client: ApiClient, path: str, resource: str, version: str) -> AsyncIterator[List[dict]]:
    """A list the API serves whole, with no time filter: read in full, written only where an
    item is new or its `version` moved since the last load, and deleted where it is gone."""
    async with client:
        listed = [item async for page in paginate(client, path) for item in page]
        rows = listed_changes(listed, dlt.current.resource_state(resource), key="id", version=version)
        if rows:
            yield rows


def custom_tags(client: ApiClient) -> AsyncIterator[List[dict]]:
    """The workspace's custom tags (agencies' clients and offers); a renamed tag moves its
    `timestamp_updated`."""
    return changed_listing(client, settings.CUSTOM_TAGS, "instantly_custom_tags", "timestamp_updated")


def custom_tag_mappings(client: ApiClient) -> AsyncIterator[List[dict]]:
    """Which tag is on which campaign or mailbox. A mapping never changes (an unassigned tag
    removes it), so its creation time is its version."""
    return changed_listing(client, settings.CUSTOM_TAG_MAPPINGS, "instantly_custom_tag_mappings", "timestamp_created")
