"""Requests and row shaping for sender health: accounts, their daily sending, warmup and DNS vitals.

Every request covers many accounts at once, within the API's limits (`settings`), so a run costs
a handful of requests however many mailboxes and days it covers.
"""

import asyncio
from collections import defaultdict
from typing import Awaitable, Dict, Iterator, List, Sequence, Tuple

from pendulum import Date

from pipelines.common.client import ApiClient
from pipelines.common.concurrency import Shared, chunks
from pipelines.common.dates import window_params
from pipelines.common.errors import ApiError
from pipelines.common.pagination import SharedList
from pipelines.instantly import settings


class AccountList(SharedList):
    """The workspace's sending accounts, fetched once per run and shared by the resources."""

    def __init__(self, client: ApiClient) -> None:
        super().__init__(client, settings.ACCOUNTS)

    async def emails(self) -> List[str]:
        return [a["email"] for a in await self.listed() if a.get("email")]


def day_windows(days: Sequence[Date], size: int = settings.DAYS_PER_DAILY_REQUEST) -> Iterator[Tuple[Date, Date]]:
    """Consecutive days as (first, last) windows of at most `size` days."""
    for start in range(0, len(days), size):
        window = days[start : start + size]
        yield window[0], window[-1]


async def daily_rows(client: ApiClient, emails: List[str], first: Date, last: Date) -> List[dict]:
    """Daily sending of many accounts over [first, last]. A 413 ("too large for this workspace")
    splits the request, by accounts first, then by days. Rows without an account (reported by
    public clients) are dropped: they belong to no mailbox."""
    try:
        rows = await client.get(
            settings.ACCOUNT_ANALYTICS_DAILY, [("emails", e) for e in emails] + list(window_params(first, last).items())
        )
    except ApiError as exc:
        if exc.status != 413 or (len(emails) == 1 and first == last):
            raise
        if len(emails) > 1:
            halves = [(emails[: len(emails) // 2], first, last), (emails[len(emails) // 2 :], first, last)]
        else:
            middle = first.add(days=(last - first).days // 2)
            halves = [(emails, first, middle), (emails, middle.add(days=1), last)]
        parts = await asyncio.gather(*(daily_rows(client, *half) for half in halves))
        return [row for part in parts for row in part]
    return [dict(row, date=str(row["date"])[:10]) for row in rows if row.get("email_account")]


def daily_requests(client: ApiClient, emails: List[str], days: Sequence[Date]) -> Iterator[Awaitable[List[dict]]]:
    """One request per window of at most 31 days and batch of at most 200 accounts."""
    for first, last in day_windows(days):
        for batch in chunks(emails, settings.EMAILS_PER_DAILY_REQUEST):
            yield daily_rows(client, batch, first, last)


class WarmupAnswers:
    """The warmup analytics of every account (100 per body), asked once per run: the daily rows
    and the health scores come from the same answers."""

    def __init__(self, client: ApiClient, accounts: AccountList) -> None:
        self.client = client
        self.accounts = accounts
        self._answers = Shared(self._fetch)

    async def get(self) -> List[dict]:
        return await self._answers.get()

    async def _fetch(self) -> List[dict]:
        batches = chunks(await self.accounts.emails(), settings.EMAILS_PER_WARMUP_REQUEST)
        return list(await asyncio.gather(
            *(self.client.post(settings.WARMUP_ANALYTICS, {"emails": batch}) for batch in batches)
        ))


def with_counters(values: dict) -> dict:
    """Every warmup counter present: one the API left out (it drops `landed_spam` at 0) is 0."""
    return {**values, **{name: values.get(name) or 0 for name in settings.WARMUP_COUNTERS}}


def warmup_day_rows(answers: List[dict]) -> List[dict]:
    """`email_date_data` flattened: one row per account and UTC day the API still serves."""
    return [
        dict(with_counters(counters), email=email, date=str(day)[:10])
        for answer in answers
        for email, days in (answer.get("email_date_data") or {}).items()
        for day, counters in (days or {}).items()
    ]


def health_rows(answers: List[dict], day: Date) -> List[dict]:
    """`aggregate_data` (health score and label, counters) of each account, dated `day`."""
    return [
        dict(with_counters(aggregate), email=email, date=day.isoformat())
        for answer in answers
        for email, aggregate in (answer.get("aggregate_data") or {}).items()
    ]


def vitals_batches(emails: List[str]) -> List[List[str]]:
    """One account per sending domain (the checks are per domain), 50 domains per body."""
    by_domain: Dict[str, str] = {}
    for email in emails:
        by_domain.setdefault(email.rsplit("@", 1)[-1].lower(), email)
    return list(chunks([by_domain[d] for d in sorted(by_domain)], settings.DOMAINS_PER_VITALS_REQUEST))


async def vitals_rows(client: ApiClient, accounts: List[str], day: Date) -> List[dict]:
    """The DNS checks (MX, SPF, DKIM, DMARC) of the accounts' domains, from both lists the API
    answers with, every field kept; `result_list` says which list a domain came in."""
    answer = await client.post(settings.ACCOUNT_VITALS, {"accounts": accounts})
    rows: Dict[str, dict] = defaultdict(dict)
    for listed in ("success_list", "failure_list"):
        for result in answer.get(listed) or []:
            if result.get("domain"):
                rows[result["domain"]] = dict(result, date=day.isoformat(), result_list=listed.split("_")[0])
    return list(rows.values())
