"""Deterministic inbox-placement data for the simulator: tests, seeds, per-email records, reports.

A test sends one email to every seed mailbox on each day it runs; each send gives a `Sent`
record and, for most seeds, a `Received` record saying where it landed. The stats endpoint
counts exactly those received records, so the warehouse can reconcile the two.
"""

import random
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import pendulum
from pendulum import Date


@dataclass(frozen=True)
class Seed:
    email: str
    region: str
    sub_region: str
    type_label: str
    esp_label: str
    geo: int
    recipient_type: int
    esp: int


SEEDS = (
    Seed("us.pro.google.1@seeds.example", "North America", "US", "Professional", "Google", 1, 1, 1),
    Seed("us.pro.google.2@seeds.example", "North America", "US", "Professional", "Google", 1, 1, 1),
    Seed("us.pro.google.3@seeds.example", "North America", "US", "Professional", "Google", 1, 1, 1),
    Seed("us.pro.google.4@seeds.example", "North America", "US", "Professional", "Google", 1, 1, 1),
    Seed("us.pro.microsoft@seeds.example", "North America", "US", "Professional", "Microsoft", 1, 1, 2),
    Seed("us.personal.google@seeds.example", "North America", "US", "Personal", "Google", 1, 2, 1),
    Seed("us.personal.outlook@seeds.example", "North America", "US", "Personal", "Microsoft", 1, 2, 2),
    Seed("us.personal.airmail@seeds.example", "North America", "US", "Personal", "AirMail", 1, 2, 8),
    Seed("de.personal.webde@seeds.example", "Europe", "Germany", "Personal", "Web.de", 3, 2, 12),
    Seed("it.personal.libero@seeds.example", "Europe", "Italy", "Personal", "Libero.it", 2, 2, 13),
    Seed("fr.pro.google@seeds.example", "Europe", "France", "Professional", "Google", 4, 1, 1),
)
ORGANIZATION = "0199a0c1-0000-7000-8000-00000000a11e"
GOOGLE, MICROSOFT = 1, 2
SPAM_CHANCE = {(MICROSOFT, GOOGLE): 0.5}
"""Chance a received seed lands in spam, by (sender ESP, recipient ESP); 0.2 elsewhere. Sending
infrastructure drives placement: Microsoft mailboxes fare worse at Google's seeds."""
FLAGS = ("is_spam", "has_category", "spf_pass", "dkim_pass", "dmarc_pass")


@dataclass(frozen=True)
class PlacementTest:
    id: str
    name: str
    type: int  # 1 one-time, 2 automated
    status: int  # 1 Active, 2 Paused, 3 Completed
    created: Date
    last_run: Date
    legacy_flags: bool  # records carry 0/1 numbers and no record_type, as before 2025-08
    sender: str  # the sending account the test's emails come from
    configured: Tuple[str, ...]  # the senders the test lists (`emails`): `sender`, and a silent one on some tests
    foreign: Optional[str] = None  # a sender the test does not list, whose emails reach some seeds anyway


class PlacementWorkspace:
    """`tests` inbox placement tests over the `days` UTC days ending `today`."""

    def __init__(
        self,
        tests: int = 4,
        days: int = 30,
        seed: int = 7,
        today: Optional[Date] = None,
        senders: Sequence[str] = ("sender@example.com",),
        sender_esps: Optional[Mapping[str, int]] = None,
    ):
        self.seed = seed
        self.sender_esps: Mapping[str, int] = sender_esps or {}
        """Each sender's ESP (`sender_esp` of its received records); Google when not given."""
        self.well_placed = senders[0] if senders else None
        """A pre-warmed mailbox whose every seed arrives in the inbox (as public clients report
        for such mailboxes), so the marts have a ready mailbox beside the others."""
        self.burned = senders[1] if len(senders) > 1 else None
        """A burned mailbox (a blocklisted domain, a spam-trap hit) whose every seed that arrives
        lands in spam: a mailbox that is not ready beyond doubt, whatever its n."""
        self.today = today or pendulum.now("UTC").date()
        self.first_day = self.today.subtract(days=days - 1)
        rng = random.Random(f"placement|{seed}")
        self.tests: List[PlacementTest] = []
        for n in range(tests):
            created = self.first_day.add(days=rng.randint(0, max(days - 3, 0)))
            created_at = pendulum.datetime(created.year, created.month, created.day, tz="UTC")
            # UUIDv7-like ids sort by creation time, as the real API's do
            prefix = f"{int(created_at.timestamp() * 1000) + n:012x}"
            tid = str(uuid.UUID(prefix + f"{rng.getrandbits(80):020x}"))
            automated = n % 2 == 1
            stopped = automated and n % 4 == 3
            if automated:
                last = self.today if not stopped else min(self.today, created.add(days=rng.randint(1, 5)))
            else:
                last = created
            sender = senders[n % len(senders)]
            # some tests list a sender that never sends (silent); some get emails from a sender
            # they do not list (foreign): both as public clients report them
            silent = senders[(n + 2) % len(senders)] if n % 3 == 2 and len(senders) > 2 else None
            foreign = senders[(n + 1) % len(senders)] if n % 4 == 2 and len(senders) > 1 else None
            self.tests.append(
                PlacementTest(
                    id=tid,
                    name=f"{'Automated' if automated else 'One-time'} placement test {n + 1}",
                    type=2 if automated else 1,
                    status=1 if automated and not stopped else (2 if stopped else 3),
                    created=created,
                    last_run=last,
                    legacy_flags=n == 0,
                    sender=sender,
                    configured=(sender,) + ((silent,) if silent else ()),
                    foreign=foreign,
                )
            )
        self.tests.sort(key=lambda t: t.id)
        self.by_id: Dict[str, PlacementTest] = {t.id: t for t in self.tests}
        self.deleted: set = set()  # ids gone from the test list (their data stays reachable)

    def run_days(self, test: PlacementTest) -> List[Date]:
        return [test.created.add(days=n) for n in range((test.last_run - test.created).days + 1)]

    @lru_cache(maxsize=None)  # noqa: B019 - one workspace per simulator process, kept for its life
    def records(self, test_id: str, day: Date) -> List[dict]:
        """The per-email records of one test-day, in id (= time) order."""
        test = self.by_id[test_id]
        if not (test.created <= day <= test.last_run):
            return []
        rng = random.Random(f"{self.seed}|{test_id}|{day.isoformat()}")
        start = pendulum.datetime(day.year, day.month, day.day, 0, 5, tz="UTC")
        out = []
        for k, seed in enumerate(SEEDS):
            sent_at = start.add(seconds=20 * k)
            sender = test.foreign if test.foreign and k == 0 else test.sender
            out.append(self._record(rng, test, seed, sent_at, sender, received=False))
            if rng.random() < 0.9 or sender == self.well_placed:  # most seeds arrive within minutes
                arrived = sent_at.add(seconds=rng.randint(30, 300))
                out.append(self._record(rng, test, seed, arrived, sender, received=True))
        return sorted(out, key=lambda r: (r["timestamp_created"], r["id"]))

    def _record(self, rng: random.Random, test: PlacementTest, seed: Seed, at, sender: str, received: bool) -> dict:
        stamp = at.format("YYYY-MM-DDTHH:mm:ss.SSS") + "Z"
        record = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "timestamp_created": stamp,
            "timestamp_created_date": at.date().isoformat(),
            "organization_id": ORGANIZATION,
            "test_id": test.id,
            "sender_email": sender,
            "recipient_email": seed.email,
            "recipient_esp": seed.esp,
            "recipient_geo": seed.geo,
            "recipient_type": seed.recipient_type,
        }
        if received:
            sender_esp = self.sender_esps.get(sender, GOOGLE)
            spam = rng.random() < SPAM_CHANCE.get((sender_esp, seed.esp), 0.2)
            category = rng.random() < 0.15
            if sender == self.well_placed:
                spam = category = False
            elif sender == self.burned:
                spam, category = True, False
            record.update(
                is_spam=spam,
                has_category=category,
                sender_esp=sender_esp,
                spf_pass=True,
                dkim_pass=rng.random() < 0.95,
                dmarc_pass=rng.random() < 0.9,
            )
        if test.legacy_flags:
            for flag in FLAGS:
                if flag in record:
                    record[flag] = int(record[flag])
        else:
            record["record_type"] = 2 if received else 1
        return record

    def all_records(self, test_id: str) -> List[dict]:
        test = self.by_id[test_id]
        return [r for day in self.run_days(test) if day <= self.today for r in self.records(test_id, day)]

    @staticmethod
    def is_received(record: dict) -> bool:
        return record.get("record_type") == 2 or ("record_type" not in record and "is_spam" in record)

    def stats(self, test_ids: Sequence[str], records_of: Iterable[dict]) -> List[dict]:
        """`stats-by-test-id` over already-filtered records: one row per test with records."""
        rows: Dict[str, Dict[str, int]] = {}
        for record in records_of:
            if not self.is_received(record) or record["test_id"] not in test_ids:
                continue
            counts = rows.setdefault(record["test_id"], {"count": 0, "spam": 0, "category": 0})
            counts["count"] += 1
            if record["is_spam"]:
                counts["spam"] += 1
            elif record["has_category"]:
                counts["category"] += 1
        out = []
        for test_id, c in rows.items():
            inbox = c["count"] - c["spam"] - c["category"]
            pct = lambda n, total=c["count"]: round(100 * n / total, 2) if total else 0  # noqa: E731
            out.append({
                "test_id": test_id,
                "count": c["count"],
                "spam_count": c["spam"],
                "spam_percent": pct(c["spam"]),
                "inbox_count": inbox,
                "inbox_percent": pct(inbox),
                "category_count": c["category"],
                "category_percent": pct(c["category"]),
            })
        return out

    def reports(self, test_id: str) -> List[dict]:
        """One blacklist + SpamAssassin report per run day."""
        test = self.by_id[test_id]
        out = []
        for day in self.run_days(test):
            rng = random.Random(f"{self.seed}|{test_id}|{day.isoformat()}|report")
            at = pendulum.datetime(day.year, day.month, day.day, 0, 4, tz="UTC")
            listed = rng.random() < 0.2
            out.append({
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "timestamp_created": at.format("YYYY-MM-DDTHH:mm:ss.SSS") + "Z",
                "timestamp_created_date": day.isoformat(),
                "organization_id": ORGANIZATION,
                "test_id": test_id,
                "domain": "sender-domain.example",
                "domain_ip": "192.0.2.10",
                "domain_blacklist_count": 0,
                "domain_ip_blacklist_count": int(listed),
                "spam_assassin_score": round(rng.uniform(0, 4), 1),
                "spam_assassin_report": {
                    "is_spam": False,
                    "spam_score": 1,
                    "report": [
                        {"description": "BODY", "name": "HTML_MESSAGE", "score": "0.0"},
                        {"description": "HEADER", "name": "DKIM_SIGNED", "score": "0.1"},
                    ],
                },
                "blacklist_report": {
                    "address": "sender-domain.example",
                    "ip": "192.0.2.10",
                    "is_blacklisted": listed,
                    "is_domain": False,
                    "blacklisted_count": int(listed),
                    "details": [
                        {"blacklist": "zen.spamhaus.org", "is_listed": False, "test_type": "ip"},
                        {"blacklist": "b.barracudacentral.org", "is_listed": listed, "test_type": "ip"},
                    ],
                },
            })
        return out

    def test_object(self, test: PlacementTest) -> dict:
        """An `InboxPlacementTest` as the list endpoint serves it."""
        created = f"{test.created.isoformat()}T00:00:00.000Z"
        body = {
            "id": test.id,
            "organization_id": ORGANIZATION,
            "name": test.name,
            "type": test.type,
            "sending_method": 1,
            "delivery_mode": 1,
            "email_subject": "Quick question",
            "email_body": "<p>Hi there</p>",
            "emails": list(test.configured),
            "recipients": [s.email for s in SEEDS],
            "recipients_labels": [
                {"region": s.region, "sub_region": s.sub_region, "type": s.type_label, "esp": s.esp_label}
                for s in SEEDS
            ],
            "timestamp_created": created,
            "status": test.status,
        }
        if test.type == 2:
            body["schedule"] = {
                "days": {str(d): True for d in range(7)},
                "timing": {"from": "00:05"},
                "timezone": "Etc/GMT+12",
            }
            body["timestamp_next_run"] = (
                f"{self.today.add(days=1).isoformat()}T00:05:00.000Z" if test.status == 1 else None
            )
        return body
