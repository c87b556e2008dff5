"""Instantly's campaigns: their catalog (listed once per run, shared), the analytics requests by
campaign and UTC day, and what an answer counts."""

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Awaitable, Callable, Dict, Iterator, List, Optional, Tuple

from pendulum import Date

from pipelines.common.client import ApiClient
from pipelines.common.concurrency import Shared
from pipelines.common.dates import window_params
from pipelines.common.pagination import paginate
from pipelines.instantly import settings


def is_count(value: object) -> bool:
    """A number an answer counts with (flags and labels are not)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def has_counts(row: dict) -> bool:
    """Whether a row counts anything: some number in it is not 0.

    An all-zero row says nothing a missing row does not, so neither plan loads one, and the
    warehouse does not depend on which (campaign, day) pairs were asked.
    """
    return any(is_count(value) and value != 0 for value in row.values())


class CampaignCatalog:
    """Every campaign of the workspace, fetched once per run and shared by the resources.

    Instantly keeps serving analytics for campaigns deleted from the campaign list, so the
    campaigns to pull are those listed plus those that `/campaigns/analytics` (without ids)
    still reports: a deleted campaign's history is never dropped.
    """

    def __init__(self, client: ApiClient) -> None:
        self._client = client
        self._listed = Shared(self._fetch_listed)
        self._reported = Shared(lambda: client.get(settings.CAMPAIGN_ANALYTICS))

    async def listed(self) -> List[dict]:
        """The campaign list, every page."""
        return await self._listed.get()

    async def reported(self) -> List[dict]:
        """Lifetime analytics of every campaign the workspace reports, deleted ones included."""
        return await self._reported.get()

    async def _fetch_listed(self) -> List[dict]:
        return [item async for page in paginate(self._client, settings.CAMPAIGNS) for item in page]

    async def first_days(self, earliest: Date) -> Dict[str, Date]:
        """Each campaign id with the first day worth asking about: its creation day if listed
        (a campaign has no analytics before it exists), else `earliest`."""
        listed, reported = await asyncio.gather(self.listed(), self.reported())
        first: Dict[str, Date] = {row["campaign_id"]: earliest for row in reported}
        for campaign in listed:
            created = Date.fromisoformat(campaign["timestamp_created"][:10])
            first[campaign["id"]] = max(earliest, created)
        return first

    async def unreported_ids(self) -> List[str]:
        """Listed campaigns missing from the all-campaigns analytics answer."""
        listed, reported = await asyncio.gather(self.listed(), self.reported())
        known = {row["campaign_id"] for row in reported}
        return [c["id"] for c in listed if c["id"] not in known]


async def analytics_for(client: ApiClient, campaign_ids: List[str]) -> List[dict]:
    """Lifetime analytics of many campaigns in one call (repeated `ids=`)."""
    return await client.get(settings.CAMPAIGN_ANALYTICS, {"ids": campaign_ids})


async def daily_rows(client: ApiClient, campaign_id: str, first: Date, last: Date) -> List[dict]:
    """Day rows of one campaign over [first, last]; the API leaves the campaign id out."""
    rows = await client.get(
        settings.CAMPAIGN_ANALYTICS_DAILY,
        {"campaign_id": campaign_id, **window_params(first, last)},
    )
    return [dict(row, campaign_id=campaign_id) for row in rows if has_counts(row)]


async def step_rows(client: ApiClient, campaign_id: str, day: Date) -> List[dict]:
    """Step/variant rows of one campaign for one UTC day (the endpoint has no date dimension)."""
    rows = await client.get(
        settings.CAMPAIGN_ANALYTICS_STEPS,
        {"campaign_id": campaign_id, "include_opportunities_count": True, **window_params(day, day)},
    )
    return [
        dict(
            row,
            campaign_id=campaign_id,
            date=day.isoformat(),
            step=settings.UNKNOWN_STEP if row.get("step") is None else str(row["step"]),
            variant=settings.UNKNOWN_STEP if row.get("variant") is None else str(row["variant"]),
        )
        for row in rows
        if has_counts(row)
    ]


async def overview_rows(client: ApiClient, campaign_id: str, day: Date) -> List[dict]:
    """The overview of one campaign for one UTC day, as a single row."""
    overview = await client.get(
        settings.CAMPAIGN_ANALYTICS_OVERVIEW, {"id": campaign_id, **window_params(day, day)}
    )
    return [dict(overview, campaign_id=campaign_id, date=day.isoformat())] if has_counts(overview) else []


CampaignDays = Dict[str, List[Date]]
"""Per campaign, the UTC days (ascending) a by-day resource asks about in this run."""
PerDayFetch = Callable[[ApiClient, str, Date], Awaitable[List[dict]]]
Requests = Iterator[Awaitable[List[dict]]]


@dataclass(frozen=True)
class DayEndpoint:
    """How a by-day resource turns the days it asks about into requests, and how many."""

    requests: Callable[[ApiClient, CampaignDays], Requests]
    count: Callable[[CampaignDays], int]
    signals: Optional[Tuple[str, ...]]
    """The activity-map fields that say this endpoint has something for a pair (None: any)."""


def per_day_requests(fetch: PerDayFetch, client: ApiClient, asked: CampaignDays) -> Requests:
    """One request per (campaign, day): for endpoints that sum over whatever window they get."""
    for campaign_id, days in asked.items():
        for day in days:
            yield fetch(client, campaign_id, day)


def per_day_count(asked: CampaignDays) -> int:
    return sum(len(days) for days in asked.values())


def range_requests(client: ApiClient, asked: CampaignDays) -> Requests:
    """One daily-analytics request per campaign, from its first asked day to its last."""
    for campaign_id, days in asked.items():
        if days:
            yield daily_rows(client, campaign_id, days[0], days[-1])


def range_count(asked: CampaignDays) -> int:
    return sum(1 for days in asked.values() if days)


def per_day_endpoint(fetch: PerDayFetch, signals: Optional[Tuple[str, ...]]) -> DayEndpoint:
    return DayEndpoint(partial(per_day_requests, fetch), per_day_count, signals)


DAILY_ENDPOINT = DayEndpoint(range_requests, range_count, settings.DAILY_SIGNALS)
STEPS_ENDPOINT = per_day_endpoint(step_rows, settings.STEP_SIGNALS)
OVERVIEW_ENDPOINT = per_day_endpoint(overview_rows, None)
