"""Deterministic, self-consistent Instantly workspace data for the simulator.

Every number derives from (seed, campaign, day), so two simulators with the same settings
serve the same workspace, and the sums hold: per campaign-day, the steps' `sent` adds up to
the daily `sent`, and the overview and lifetime figures are sums of the same day records.
"""

import random
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Tuple

import pendulum
from pendulum import Date

STEP_METRICS = (
    "sent",
    "opened",
    "unique_opened",
    "replies",
    "unique_replies",
    "replies_automatic",
    "unique_replies_automatic",
    "clicks",
    "unique_clicks",
)
OPPORTUNITY_METRICS = ("opportunities", "unique_opportunities", "meetings_booked", "won")


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    status: int
    created: Date
    last_active: Optional[Date]  # None: never sends (a draft)
    steps: int
    variants: int
    listed: bool  # False: deleted from the campaign list, analytics still served


class Workspace:
    """`campaigns` campaigns over the `days` UTC days ending `today`."""

    def __init__(
        self,
        campaigns: int = 6,
        days: int = 30,
        seed: int = 7,
        today: Optional[Date] = None,
        deleted: int = 1,
        drafts: int = 1,
        late_opens: bool = False,
    ) -> None:
        self.seed = seed
        self.late_opens = late_opens
        """Opens on a day include opens of earlier sends (as live data has it): see `late_opens`."""
        self.id = str(uuid.UUID(int=random.Random(f"workspace-id|{seed}").getrandbits(128), version=4))
        self.name = f"Client workspace {seed}"
        self.today = today or pendulum.now("UTC").date()
        self.first_day = self.today.subtract(days=days - 1)
        rng = random.Random(f"workspace|{seed}")
        self.campaigns: List[Campaign] = []
        for n in range(campaigns):
            cid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            created, last_active, status = self.schedule(rng, draft=n < drafts)
            self.campaigns.append(
                Campaign(
                    id=cid,
                    name=f"Campaign {n + 1:03d}",
                    status=status,
                    created=created,
                    last_active=last_active,
                    steps=rng.randint(1, 4),
                    variants=rng.randint(1, 3),
                    listed=not (drafts <= n < drafts + deleted),
                )
            )
        self.by_id: Dict[str, Campaign] = {c.id: c for c in self.campaigns}

    def schedule(self, rng: random.Random, draft: bool) -> Tuple[Date, Optional[Date], int]:
        """A campaign's creation day, last sending day (None for a draft) and status: most
        campaigns still sending today, a fifth ended after 5-40 days."""
        days = (self.today - self.first_day).days + 1
        created = self.first_day.add(days=rng.randint(-20, max(days // 2, 1)))
        ended = rng.random() < 0.2
        last_active = None if draft else (created.add(days=rng.randint(5, 40)) if ended else self.today)
        status = 0 if draft else (3 if ended else rng.choice([1, 1, 1, 2]))
        return created, last_active, status

    # --- day records -------------------------------------------------------------------
    def days(self) -> List[Date]:
        return [self.first_day.add(days=n) for n in range((self.today - self.first_day).days + 1)]

    @lru_cache(maxsize=None)  # noqa: B019 - one workspace per simulator process, kept for its life
    def step_records(self, campaign_id: str, day: Date) -> List[dict]:
        """Step/variant rows of one campaign-day (empty when nothing happened)."""
        c = self.by_id.get(campaign_id)
        if c is None or c.last_active is None or not (
            max(c.created, self.first_day) <= day <= min(c.last_active, self.today)
        ):
            return []
        rng = random.Random(f"{self.seed}|{campaign_id}|{day.isoformat()}")
        if rng.random() < 0.15:  # a quiet day: nothing sent, nothing happened
            return []
        rows = sending_rows(c, rng)
        if self.late_opens:
            late_opens(rows, random.Random(f"{self.seed}|{campaign_id}|{day.isoformat()}|late"),
                       whole_history=c is next(c for c in self.campaigns if c.last_active))
        return rows

    @lru_cache(maxsize=None)  # noqa: B019 - as above; callers only read the totals
    def day_totals(self, campaign_id: str, day: Date) -> Dict[str, int]:
        """Every counter of one campaign-day, the steps' sums and what only the overview has."""
        rows = self.step_records(campaign_id, day)
        totals = {k: sum(r[k] for r in rows) for k in STEP_METRICS + OPPORTUNITY_METRICS}
        rng = random.Random(f"{self.seed}|{campaign_id}|{day.isoformat()}|leads")
        totals["contacted"] = min(totals["sent"], rng.randint(0, totals["sent"]) + totals["sent"] // 2)
        totals["new_leads_contacted"] = rng.randint(0, totals["contacted"])
        totals["bounced"] = rng.randint(0, totals["sent"] // 20)
        totals["unsubscribed"] = rng.randint(0, totals["opened"] // 30)
        totals["completed"] = rng.randint(0, totals["contacted"] // 5)
        totals["interested"] = rng.randint(0, totals["opportunities"])
        totals["meetings_completed"] = 0
        return totals

    # --- API shapes --------------------------------------------------------------------
    def daily_row(self, campaign_id: str, day: Date) -> Optional[dict]:
        """The `/campaigns/analytics/daily` row, or None on a day without activity."""
        if not self.step_records(campaign_id, day):
            return None
        t = self.day_totals(campaign_id, day)
        return {
            "date": day.isoformat(),
            "sent": t["sent"],
            "contacted": t["contacted"],
            "new_leads_contacted": t["new_leads_contacted"],
            "opened": t["opened"],
            "unique_opened": t["unique_opened"],
            "replies": t["replies"],
            "unique_replies": t["unique_replies"],
            "replies_automatic": t["replies_automatic"],
            "unique_replies_automatic": t["unique_replies_automatic"],
            "clicks": t["clicks"],
            "unique_clicks": t["unique_clicks"],
            "opportunities": t["opportunities"],
            "unique_opportunities": t["unique_opportunities"],
        }

    def steps(self, campaign_id: str, days: Iterable[Date], with_opportunities: bool) -> List[dict]:
        """`/campaigns/analytics/steps`: rows summed per (step, variant) over `days`."""
        metrics = STEP_METRICS + (OPPORTUNITY_METRICS if with_opportunities else ())
        merged: Dict[tuple, dict] = {}
        for day in days:
            for row in self.step_records(campaign_id, day):
                key = (row["step"], row["variant"])
                into = merged.setdefault(key, dict({k: 0 for k in metrics}, step=key[0], variant=key[1]))
                for k in metrics:
                    into[k] += row[k]
        return list(merged.values())

    def overview(self, campaign_ids: Iterable[str], days: Iterable[Date]) -> dict:
        """`/campaigns/analytics/overview`: one object summed over campaigns and days."""
        s = {k: 0 for k in ("sent", "contacted", "new_leads_contacted", "opened", "unique_opened",
                            "replies", "unique_replies", "replies_automatic",
                            "unique_replies_automatic", "clicks", "unique_clicks", "opportunities",
                            "meetings_booked", "won", "bounced", "unsubscribed", "completed",
                            "interested", "meetings_completed")}
        days = list(days)
        for cid in campaign_ids:
            for day in days:
                t = self.day_totals(cid, day)
                for k in s:
                    s[k] += t[k]
        return {
            "open_count": s["opened"],
            "open_count_unique": s["unique_opened"],
            "open_count_unique_by_step": s["unique_opened"],
            "link_click_count": s["clicks"],
            "link_click_count_unique": s["unique_clicks"],
            "link_click_count_unique_by_step": s["unique_clicks"],
            "reply_count": s["replies"],
            "reply_count_unique": s["unique_replies"],
            "reply_count_unique_by_step": s["unique_replies"],
            "reply_count_automatic": s["replies_automatic"],
            "reply_count_automatic_unique": s["unique_replies_automatic"],
            "reply_count_automatic_unique_by_step": s["unique_replies_automatic"],
            "bounced_count": s["bounced"],
            "unsubscribed_count": s["unsubscribed"],
            "completed_count": s["completed"],
            "emails_sent_count": s["sent"],
            "contacted_count": s["contacted"],
            "new_leads_contacted_count": s["new_leads_contacted"],
            "total_opportunities": s["opportunities"],
            "total_opportunity_value": float(s["opportunities"] * 500),
            "total_interested": s["interested"],
            "total_meeting_booked": s["meetings_booked"],
            "total_meeting_completed": s["meetings_completed"],
            "total_closed": s["won"],
        }

    def lifetime(self, campaign_id: str) -> Optional[dict]:
        """The `/campaigns/analytics` row of a campaign over its whole history."""
        return self.analytics_row(campaign_id, self.days())

    def analytics_row(self, campaign_id: str, days: Iterable[Date]) -> Optional[dict]:
        """The `/campaigns/analytics` row of a campaign summed over `days`, None for a campaign
        that never sent (the API leaves those out)."""
        c = self.by_id[campaign_id]
        if c.last_active is None:
            return None
        o = self.overview([campaign_id], days)
        return {
            "campaign_name": c.name,
            "campaign_id": c.id,
            "campaign_status": c.status,
            "campaign_is_evergreen": False,
            "leads_count": o["contacted_count"] + 50,
            "contacted_count": o["contacted_count"],
            "emails_sent_count": o["emails_sent_count"],
            "new_leads_contacted_count": o["new_leads_contacted_count"],
            "open_count": o["open_count_unique"],
            "open_count_unique": o["open_count_unique"],
            "open_count_unique_by_step": o["open_count_unique_by_step"],
            "reply_count": o["reply_count"],
            "reply_count_unique": o["reply_count_unique"],
            "reply_count_unique_by_step": o["reply_count_unique_by_step"],
            "reply_count_automatic": o["reply_count_automatic"],
            "reply_count_automatic_unique": o["reply_count_automatic_unique"],
            "reply_count_automatic_unique_by_step": o["reply_count_automatic_unique_by_step"],
            "link_click_count": o["link_click_count"],
            "link_click_count_unique": o["link_click_count_unique"],
            "link_click_count_unique_by_step": o["link_click_count_unique_by_step"],
            "bounced_count": o["bounced_count"],
            "unsubscribed_count": o["unsubscribed_count"],
            "completed_count": o["completed_count"],
            "total_opportunities": o["total_opportunities"],
            "total_opportunity_value": o["total_opportunity_value"],
        }

    def workspace(self) -> dict:
        """`GET /workspaces/current`: the workspace the key belongs to."""
        stamp = f"{self.first_day.subtract(days=60).isoformat()}T08:00:00.000Z"
        return {
            "id": self.id,
            "name": self.name,
            "owner": str(uuid.UUID(int=random.Random(f"owner|{self.seed}").getrandbits(128), version=4)),
            "timestamp_created": stamp,
            "timestamp_updated": stamp,
            "plan_id": "pid_hg_v1",
            "default_opportunity_value": 500,
        }

    def campaign(self, c: Campaign) -> dict:
        """A `Campaign` object as the list endpoint serves it."""
        stamp = f"{c.created.isoformat()}T09:30:00.000Z"
        return {
            "id": c.id,
            "name": c.name,
            "status": c.status,
            "organization": self.id,
            "pl_value": 500,
            "is_evergreen": False,
            "campaign_schedule": {
                "start_date": None,
                "end_date": None,
                "schedules": [
                    {
                        "name": "Weekdays",
                        "timing": {"from": "09:00", "to": "17:00"},
                        "days": {str(d): d in (1, 2, 3, 4, 5) for d in range(7)},
                        "timezone": "America/Chicago",
                    }
                ],
            },
            "sequences": [
                {
                    "steps": [
                        {
                            "type": "email",
                            "delay": 2,
                            "variants": [
                                {"subject": f"Step {s} variant {v}", "body": f"<p>Hello {s}{v}</p>"}
                                for v in range(c.variants)
                            ],
                        }
                        for s in range(1, c.steps + 1)
                    ]
                }
            ],
            "timestamp_created": stamp,
            "timestamp_updated": stamp,
            "email_list": ["sender@example.com"],
            "daily_limit": 50,
            "stop_on_reply": True,
            "link_tracking": True,
            "open_tracking": True,
        }


def sending_rows(c: Campaign, rng: random.Random) -> List[dict]:
    """The step/variant rows of a day a campaign sends on."""
    rows = []
    for step in range(1, c.steps + 1):
        for variant in range(c.variants):
            sent = rng.randint(0, 60)
            opened = rng.randint(0, sent)
            replies = rng.randint(0, opened // 4 + 1) if sent else 0
            automatic = rng.randint(0, replies)
            clicks = rng.randint(0, opened // 3 + 1) if sent else 0
            opps = rng.randint(0, replies)
            rows.append(
                {
                    "step": str(step),
                    "variant": str(variant),
                    "sent": sent,
                    "opened": opened,
                    "unique_opened": rng.randint(0, opened),
                    "replies": replies,
                    "unique_replies": replies - automatic,
                    "replies_automatic": automatic,
                    "unique_replies_automatic": automatic,
                    "clicks": clicks,
                    "unique_clicks": rng.randint(0, clicks),
                    "opportunities": opps,
                    "unique_opportunities": opps,
                    "meetings_booked": rng.randint(0, opps),
                    "won": 0,
                }
            )
    if rng.random() < 0.2:  # a reply the API cannot attribute to a step
        rows.append(dict({k: 0 for k in STEP_METRICS + OPPORTUNITY_METRICS},
                         step=None, variant=None, replies=1, unique_replies=1))
    return rows


def late_opens(rows: List[dict], rng: random.Random, whole_history: bool) -> None:
    """Opens of earlier sends counted on a later day: on about one sending day in four, a step's
    opens exceed its sends that day; and for `whole_history` (the first campaign that sends), its
    first step's last variant has more unique opens than sends every day, so over its history too."""
    if whole_history:
        last = max((row for row in rows if row["step"] == "1"), key=lambda row: row["variant"])
        last.update(opened=last["sent"] + 3, unique_opened=last["sent"] + 1)
    elif rng.random() < 0.25:
        first = next((row for row in rows if row["sent"]), None)
        if first is not None:
            first.update(opened=first["sent"] + 5, unique_opened=first["sent"] + 2)


class SparseWorkspace(Workspace):
    """A workspace as agencies have them: most campaigns idle on most days.

    Campaigns run for 3-6 weeks at staggered dates, so about a third send on a weekday and fewer
    at weekends; completed ones keep trickling replies and CRM updates (interested, meeting
    booked or completed, won) on days without sends; bounces arrive the day after the sends.
    """

    def schedule(self, rng: random.Random, draft: bool) -> Tuple[Date, Optional[Date], int]:
        days = (self.today - self.first_day).days + 1
        created = self.first_day.add(days=rng.randint(-days // 2, days - 3))
        last_send = created.add(days=rng.randint(18, 42))
        if draft:
            return created, None, 0
        if last_send >= self.today:
            return created, self.today, 1
        return created, last_send, 3

    def sends_on(self, c: Campaign, day: Date) -> bool:
        """Sending days: within the campaign's run, most weekdays, a few weekend days."""
        if c.last_active is None or not (c.created <= day <= c.last_active):
            return False
        rng = random.Random(f"{self.seed}|{c.id}|{day.isoformat()}|sends")
        return rng.random() < (0.9 if day.day_of_week not in (pendulum.SATURDAY, pendulum.SUNDAY) else 0.2)

    @lru_cache(maxsize=None)  # noqa: B019 - one workspace per simulator process, kept for its life
    def step_records(self, campaign_id: str, day: Date) -> List[dict]:
        c = self.by_id.get(campaign_id)
        if c is None or c.last_active is None or not (self.first_day <= day <= self.today):
            return []
        rng = random.Random(f"{self.seed}|{campaign_id}|{day.isoformat()}")
        if self.sends_on(c, day):
            return sending_rows(c, rng)
        if c.last_active < day <= c.last_active.add(days=45) and rng.random() < 0.06:
            late = {k: 0 for k in STEP_METRICS + OPPORTUNITY_METRICS}
            opportunity = int(rng.random() < 0.3)
            late.update(replies=1, unique_replies=1, opportunities=opportunity, unique_opportunities=opportunity)
            return [dict(late, step=str(rng.randint(1, c.steps)), variant=str(rng.randrange(c.variants)))]
        return []

    @lru_cache(maxsize=None)  # noqa: B019 - as above
    def day_totals(self, campaign_id: str, day: Date) -> Dict[str, int]:
        totals = dict(super().day_totals(campaign_id, day))
        rng = random.Random(f"{self.seed}|{campaign_id}|{day.isoformat()}|later")
        yesterday = sum(r["sent"] for r in self.step_records(campaign_id, day.subtract(days=1)))
        totals["bounced"] = rng.randint(0, yesterday // 15)
        c = self.by_id[campaign_id]
        if c.last_active is not None and c.created < day <= c.last_active.add(days=60) and rng.random() < 0.02:
            totals[rng.choice(("interested", "meetings_booked", "meetings_completed", "won"))] += 1
        return totals


WORKSPACES = {"dense": Workspace, "sparse": SparseWorkspace}
"""The kinds of simulated workspace (`--workspace`): most campaigns sending every day, or most
idle on most days (an agency's)."""
