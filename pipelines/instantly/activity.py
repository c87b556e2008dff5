"""Which campaigns did what on a UTC day: the activity map that lets the per-day endpoints be
asked only where something happened (`REQUEST_PLAN=activity`).

Per day it costs one `/campaigns/analytics` for every campaign, one `/overview?ids=...` per 100
campaigns the map shows idle, and about one and a half more per halving for each idle-looking
campaign that `/overview` still counts something for (a CRM update, usually). Which fields decide
for which endpoint, and why nothing is lost, is said once, in `settings` (`ACTIVITY_FIELDS`,
`STEP_SIGNALS`, `DAILY_SIGNALS`).
"""

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Dict, FrozenSet, List, Optional, Protocol, Sequence

from pendulum import Date

from pipelines.common.client import ApiClient
from pipelines.common.concurrency import Shared, chunks
from pipelines.common.dates import window_params
from pipelines.common.errors import ConfigError
from pipelines.common.tracking import CURRENT_RESOURCE
from pipelines.instantly import settings
from pipelines.instantly.campaigns import CampaignCatalog, CampaignDays, has_counts, is_count

Evidence = FrozenSet[str]
"""The fields a campaign counted something in on a day (above 0)."""
UNSEEN: Evidence = frozenset({"?"})
"""A campaign known to count something on a day without an answer saying what: every endpoint
is asked about it."""
DayActivity = Dict[str, Evidence]
"""One day's active campaigns, each with its evidence."""
MAP = "instantly_activity_map"
"""What the map's requests count as: a step of its own on the run's lines and progress bars."""


def fields_above_zero(row: dict, fields: Optional[Sequence[str]] = None) -> Evidence:
    """The numeric fields of an answer that are above 0 (of `fields` only, when given)."""
    names = fields if fields is not None else row.keys()
    return frozenset(name for name in names if is_count(row.get(name)) and row[name] > 0)


def wanted(evidence: Evidence, signals: Optional[Sequence[str]]) -> bool:
    """Whether an endpoint that counts `signals` (None: everything) has anything for this pair."""
    return signals is None or evidence is UNSEEN or not evidence.isdisjoint(signals)


class ActivityMap:
    """The campaigns active on each UTC day, asked once per day per run and shared by the
    by-day resources (their windows usually coincide, so the days are asked once)."""

    def __init__(self, client: ApiClient, catalog: CampaignCatalog) -> None:
        self._client = client
        self._catalog = catalog
        self._days: Dict[Date, Shared[DayActivity]] = {}

    async def active(self, days: List[Date]) -> Dict[Date, DayActivity]:
        """Each day with the campaigns that have anything to report on it. Its requests count
        as the map's (`MAP`), not as those of the resource that first asked."""
        new = [day for day in days if day not in self._days]
        for day in new:
            self._days[day] = Shared(partial(self._active_on, day))
        token = CURRENT_RESOURCE.set(MAP)  # gather's tasks copy this context: their work counts as the map's
        try:
            self._client.stats.plan(len(new))
            asked = asyncio.gather(*(self._days[day].get() for day in days))
        finally:
            CURRENT_RESOURCE.reset(token)
        return dict(zip(days, await asked, strict=True))

    async def _active_on(self, day: Date) -> DayActivity:
        totals, first_days = await asyncio.gather(
            self._client.get(
                settings.CAMPAIGN_ANALYTICS, {**window_params(day, day), "exclude_total_leads_count": True}
            ),
            self._catalog.first_days(day),
        )
        seen = {row["campaign_id"]: fields_above_zero(row, settings.ACTIVITY_FIELDS) for row in totals}
        seen = {cid: evidence for cid, evidence in seen.items() if evidence}
        idle = sorted(cid for cid, first in first_days.items() if first <= day and cid not in seen)
        groups = chunks(idle, settings.IDS_PER_REQUEST)
        for found in await asyncio.gather(*(self._counted(day, group) for group in groups)):
            seen.update(found)
        return seen

    async def _counted(self, day: Date, group: List[str], known_positive: bool = False) -> DayActivity:
        """The campaigns of `group` whose `/overview` of `day` counts anything, by halving.

        `known_positive`: the group is known to count something (its sibling half counted
        nothing while their parent did), which saves asking it when it is one campaign.
        """
        if known_positive and len(group) == 1:
            return {group[0]: UNSEEN}
        if not known_positive:
            self._client.stats.plan(1)  # a probe's total grows as the halving goes
            overview = await self._client.get(
                settings.CAMPAIGN_ANALYTICS_OVERVIEW, {"ids": group, **window_params(day, day)}
            )
            if not overview or not has_counts(overview):
                return {}
            if len(group) == 1:
                return {group[0]: fields_above_zero(overview) or UNSEEN}
        half = len(group) // 2
        first = await self._counted(day, group[:half])
        second = await self._counted(day, group[half:], known_positive=not first)
        return {**first, **second}


class RequestPlan(Protocol):
    """Which (campaign, day) pairs a by-day endpoint is asked about (`REQUEST_PLAN`)."""

    async def pairs(self, days: List[Date], signals: Optional[Sequence[str]]) -> CampaignDays:
        """The pairs over `days` for an endpoint that counts `signals` (None: anything)."""
        ...


@dataclass(frozen=True)
class ExhaustivePlan:
    """`exhaustive`: every campaign on every day since its creation."""

    catalog: CampaignCatalog

    async def pairs(self, days: List[Date], signals: Optional[Sequence[str]]) -> CampaignDays:
        first_days = await self.catalog.first_days(days[0])
        every = {cid: [day for day in days if day >= first] for cid, first in first_days.items()}
        return {cid: asked for cid, asked in every.items() if asked}


@dataclass(frozen=True)
class ActivityPlan:
    """`activity`: only where the activity map found something the endpoint counts."""

    activity: ActivityMap

    async def pairs(self, days: List[Date], signals: Optional[Sequence[str]]) -> CampaignDays:
        asked: CampaignDays = {}
        for day, campaigns in (await self.activity.active(days)).items():
            for campaign_id in sorted(campaigns):
                if wanted(campaigns[campaign_id], signals):
                    asked.setdefault(campaign_id, []).append(day)
        return asked


def plan_named(name: str, client: ApiClient, catalog: CampaignCatalog) -> RequestPlan:
    """The plan `REQUEST_PLAN` names (`settings.REQUEST_PLANS`); both load the same rows."""
    if name == "exhaustive":
        return ExhaustivePlan(catalog)
    if name == "activity":
        return ActivityPlan(ActivityMap(client, catalog))
    raise ConfigError(
        f"SOURCES__INSTANTLY__REQUEST_PLAN must be one of {', '.join(settings.REQUEST_PLANS)}, got {name!r}"
    )
