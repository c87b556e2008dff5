"""A simulated set of sending accounts (mailboxes) with their daily sending, warmup and DNS vitals.

Deterministic from the seed. Accounts sit on a few sending domains; one domain fails its DNS
checks. Warmup analytics are served for a recent window only (as the real API does), and a
day's `landed_spam` is left out when it is 0 (as live responses do).
"""

import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional

import pendulum
from pendulum import Date

ORGANIZATION = "0199a0c1-0000-7000-8000-00000000a11e"
WARMUP_WINDOW_DAYS = 14
"""How many recent days warmup analytics serve by default (the real length is undocumented)."""
HEALTH_DAYS = 7
"""Days the health score covers (the help center says the last 7 days of warmup)."""
ACCOUNTS_PER_DOMAIN = 4
PROVIDERS = (2, 3)
"""`provider_code` of the mailboxes in turn: Google, Microsoft (API reference)."""
PROVIDER_ESP = {2: 1, 3: 2}
"""A mailbox provider's code in the inbox placement ESP enum (Google 1, Microsoft 2): the
`sender_esp` its received seed emails carry."""


@dataclass(frozen=True)
class Account:
    email: str
    domain: str
    created: Date
    provider_code: int
    listed: bool = True


class AccountsWorkspace:
    """`accounts` mailboxes over the `days` UTC days ending `today`."""

    def __init__(self, accounts: int = 9, days: int = 30, seed: int = 7, today: Optional[Date] = None,
                 failing_domains: int = 1) -> None:
        self.seed = seed
        self.organization = ORGANIZATION
        """The workspace that owns the accounts (`Account.organization`); the app sets its own."""
        self.warmup_window_days = WARMUP_WINDOW_DAYS
        self.today = today or pendulum.now("UTC").date()
        self.first_day = self.today.subtract(days=days - 1)
        rng = random.Random(f"accounts|{seed}")
        self.accounts: List[Account] = []
        for n in range(accounts):
            domain = f"outreach{n // ACCOUNTS_PER_DOMAIN + 1}.example"
            created = self.first_day.subtract(days=rng.randint(0, 30))
            self.accounts.append(Account(f"sender{n + 1}@{domain}", domain, created, PROVIDERS[n % len(PROVIDERS)]))
        self.by_email: Dict[str, Account] = {a.email: a for a in self.accounts}
        domains = sorted({a.domain for a in self.accounts})
        self.failing = set(domains[:failing_domains])

    @property
    def emails(self) -> List[str]:
        return [a.email for a in self.accounts]

    def sender_esps(self) -> Dict[str, int]:
        """Each mailbox's ESP, as placement records name the sender's (`sender_esp`)."""
        return {a.email: PROVIDER_ESP[a.provider_code] for a in self.accounts}

    def remove(self, email: str) -> None:
        """The account is deleted upstream: gone from the list, and the API no longer knows it."""
        account = self.by_email[email]
        self.by_email[email] = Account(account.email, account.domain, account.created, account.provider_code, False)
        self.accounts = [self.by_email[a.email] for a in self.accounts]

    def days(self) -> List[Date]:
        return [self.first_day.add(days=n) for n in range((self.today - self.first_day).days + 1)]

    def listed(self) -> List[Account]:
        return [a for a in self.accounts if a.listed]

    def account(self, a: Account) -> dict:
        """An `Account` as GET /accounts serves it (the spec's required fields and a few more)."""
        created = f"{a.created.isoformat()}T08:00:00.000Z"
        return {
            "email": a.email,
            "timestamp_created": created,
            "timestamp_updated": created,
            "first_name": a.email.split("@")[0].title(),
            "last_name": "Sender",
            "organization": self.organization,
            "warmup_status": 1,
            "status": 1,
            "provider_code": a.provider_code,
            "setup_pending": False,
            "is_managed_account": False,
            "daily_limit": 30,
            "stat_warmup_score": self.health(a.email)["health_score"],
        }

    @lru_cache(maxsize=None)  # noqa: B019 - one workspace per simulator process, kept for its life
    def daily(self, email: str, day: Date) -> Optional[dict]:
        """Campaign sending of one account on one day; None on a day without activity."""
        rng = random.Random(f"{self.seed}|{email}|{day.isoformat()}|daily")
        if day.day_of_week in (pendulum.SATURDAY, pendulum.SUNDAY) and rng.random() < 0.7:
            return None
        sent = rng.randint(0, 40)
        if sent == 0:
            return None
        replies = rng.randint(0, sent // 8)
        return {
            "date": day.isoformat(),
            "email_account": email,
            "sent": sent,
            # a failing domain's mailboxes bounce more (enough to trip a 5% bounce alert)
            "bounced": rng.randint(sent // 10, sent // 4) if self.by_email[email].domain in self.failing
            else rng.randint(0, max(sent // 15, 0)),
            "contacted": sent,
            "new_leads_contacted": rng.randint(0, sent),
            "opened": rng.randint(0, sent),
            "unique_opened": rng.randint(0, sent // 2),
            "replies": replies,
            "unique_replies": replies,
            "replies_automatic": 0,
            "unique_replies_automatic": 0,
            "clicks": rng.randint(0, 3),
            "unique_clicks": rng.randint(0, 2),
        }

    @lru_cache(maxsize=None)  # noqa: B019 - one workspace per simulator process, kept for its life
    def warmup(self, email: str, day: Date) -> dict:
        """One day of warmup: counters, `landed_spam` left out when 0."""
        rng = random.Random(f"{self.seed}|{email}|{day.isoformat()}|warmup")
        sent = rng.randint(5, 20)
        spam = rng.randint(0, 4) if self.by_email[email].domain in self.failing else rng.choice([0, 0, 0, 1])
        row = {"sent": sent, "landed_inbox": sent - spam, "received": sent}
        if spam:
            row["landed_spam"] = spam
        return row

    def warmup_days(self) -> List[Date]:
        """The recent window warmup analytics serve."""
        return [d for d in self.days() if d > self.today.subtract(days=self.warmup_window_days)]

    def health(self, email: str) -> dict:
        """`aggregate_data` of one account: the last HEALTH_DAYS days summed, and a score."""
        days = [d for d in self.days() if d > self.today.subtract(days=HEALTH_DAYS)]
        rows = [self.warmup(email, d) for d in days]
        totals = {k: sum(r.get(k, 0) for r in rows) for k in ("sent", "received", "landed_inbox", "landed_spam")}
        landed = totals["landed_inbox"] + totals["landed_spam"]
        score = round(100 * totals["landed_inbox"] / landed) if landed else 0
        out = {k: v for k, v in totals.items() if v or k != "landed_spam"}
        out.update(health_score=score, health_score_label=f"{score}%")
        return out

    def vitals(self, domain: str) -> dict:
        """The DNS checks of one sending domain."""
        ok = domain not in self.failing
        return {"domain": domain, "allPass": ok, "mx": True, "spf": True, "dkim": ok, "dmarc": ok}
