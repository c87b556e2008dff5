"""Requests and row shaping for the Instantly source; the dlt wiring lives in `__init__`."""

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Awaitable, Callable, Dict, Iterator, List

from pendulum import Date

from pipelines.common.client import ApiClient
from pipelines.common.concurrency import Shared
from pipelines.common.dates import days_between, window_params
from pipelines.common.pagination import paginate
from pipelines.instantly import settings


def chunks(items: List[str], size: int) -> Iterator[List[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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
    return [dict(row, campaign_id=campaign_id) for row in rows]


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
    ]


async def overview_rows(client: ApiClient, campaign_id: str, day: Date) -> List[dict]:
    """The overview of one campaign for one UTC day, as a single row."""
    overview = await client.get(
        settings.CAMPAIGN_ANALYTICS_OVERVIEW, {"id": campaign_id, **window_params(day, day)}
    )
    return [dict(overview, campaign_id=campaign_id, date=day.isoformat())]


PerDayFetch = Callable[[ApiClient, str, Date], Awaitable[List[dict]]]
Requests = Iterator[Awaitable[List[dict]]]


@dataclass(frozen=True)
class RequestPlan:
    """How a by-day resource asks for its window: the requests, and how many they are."""

    requests: Callable[[ApiClient, Dict[str, Date], Date], Requests]
    count: Callable[[Dict[str, Date], Date], int]


def per_day_requests(
    fetch: PerDayFetch, client: ApiClient, first_days: Dict[str, Date], last: Date
) -> Requests:
    """One request per (campaign, day) from each campaign's first day to `last`."""
    for campaign_id, first in first_days.items():
        for day in days_between(first, last):
            yield fetch(client, campaign_id, day)


def per_day_count(first_days: Dict[str, Date], last: Date) -> int:
    return sum(max((last - first).days + 1, 0) for first in first_days.values())


def range_requests(client: ApiClient, first_days: Dict[str, Date], last: Date) -> Requests:
    """One daily-analytics request per campaign over its whole range."""
    for campaign_id, first in first_days.items():
        if first <= last:
            yield daily_rows(client, campaign_id, first, last)


def range_count(first_days: Dict[str, Date], last: Date) -> int:
    return sum(1 for first in first_days.values() if first <= last)


def per_day_plan(fetch: PerDayFetch) -> RequestPlan:
    return RequestPlan(partial(per_day_requests, fetch), per_day_count)


RANGE_PLAN = RequestPlan(range_requests, range_count)
