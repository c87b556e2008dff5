"""The alert rules: what each reads from the marts, the figure it compares with its threshold,
and the mart row a message points at.

A rule's query returns one row per subject (a mailbox at an ESP, a domain, a test, a family of a
workspace) with its `figure` and its `n` (the seeds, emails or mailboxes behind the figure); the
rule says which way is bad. Whether a subject breaches is decided here, in Python, in one place,
against the configured threshold.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Optional, Tuple

from pipelines.outputs.certainty import wilson_interval
from pipelines.outputs.marts import SOURCE_NAMES, WORST_CELLS, Rows

Row = Dict[str, Any]


@dataclass(frozen=True)
class Finding:
    """A subject breaching a rule now."""

    workspace: str
    rule: str
    subject: str
    figure: Optional[float]
    threshold: Optional[float]
    n: Optional[int]
    text: str
    """The figure against the threshold in words, with its n."""
    mart_row: str
    """Where to look: the mart and the row's key."""

    @property
    def key(self) -> Tuple[str, str, str]:
        return self.workspace, self.rule, self.subject


@dataclass(frozen=True)
class Rule:
    name: str
    title: str
    sql: str
    """Formatted with the rule's settings and `since` (the first UTC day of the last 7)."""
    bad: str
    """`below` or `above` the threshold; `flag`: every row the query returns breaches."""
    threshold: Optional[float]
    """The default threshold."""
    min_n: int
    """The default least n a figure needs to count (fewer seeds or emails say nothing)."""
    subject: Callable[[Row], str]
    describe: Callable[[Row, Optional[float]], str]
    mart_row: Callable[[Row], str]

    def breaches(self, row: Row, threshold: Optional[float], min_n: int) -> bool:
        """Whether `row` breaches: its figure beyond the threshold on at least `min_n`. Where the
        rule's query gives the figure's 95% interval (`figure_low`, `figure_high`, or the `hits`
        out of `n` it is the interval of), the whole interval must be beyond it: a rate that may
        well be fine on its n opens nothing."""
        if self.bad == "flag":
            return True
        figure, n = row.get("figure"), row.get("n")
        if figure is None or threshold is None or (n is not None and n < min_n):
            return False
        nearest = interval(row)[1 if self.bad == "below" else 0]
        decided = float(figure if nearest is None else nearest)
        return decided < threshold if self.bad == "below" else decided > threshold

    def findings(self, rows: Rows, threshold: Optional[float], min_n: int) -> List[Finding]:
        return [
            Finding(
                workspace=str(row.get("workspace_label") or "*"), rule=self.name, subject=self.subject(row),
                figure=None if row.get("figure") is None else float(row["figure"]), threshold=threshold,
                n=None if row.get("n") is None else int(row["n"]), text=self.describe(row, threshold),
                mart_row=self.mart_row(row),
            )
            for row in rows if self.breaches(row, threshold, min_n)
        ]


def interval(row: Row) -> Tuple[Optional[float], Optional[float]]:
    """A row's 95% interval: the mart's (`figure_low`, `figure_high`), else that of its `hits` out
    of `n`, else none."""
    if row.get("figure_low") is not None or row.get("figure_high") is not None:
        return row.get("figure_low"), row.get("figure_high")
    if row.get("hits") is not None and row.get("n"):
        return wilson_interval(float(row["hits"]), float(row["n"]))
    return None, None


def percent(value: Any) -> str:
    """A share as people read it: whole percents, one decimal under 10% (a 5.1% bounce rate is
    not "5%" against a 5% threshold)."""
    if value is None:
        return "n/a"
    return f"{float(value):.1%}" if 0 < abs(float(value)) < 0.1 else f"{float(value):.0%}"


def between(row: Row) -> str:
    """A row's 95% interval in words (`2.6%-23%`)."""
    low, high = interval(row)
    return f"{percent(low)}-{percent(high)}"


def where(mart: str, **keys: Any) -> str:
    """`analytics.<mart> where k = 'v' and ...`: the row a message points at."""
    condition = " and ".join(f"{k} = '{str(v).replace(chr(39), chr(39) * 2)}'" for k, v in keys.items())
    return f"analytics.{mart} where {condition}"


MAILBOX_INBOX_RATE = Rule(
    "mailbox_inbox_rate", "mailbox inbox rate of sent",
    """select workspace_label, mailbox_email, recipient_esp, tested_date, test_id,
        inbox_rate_of_sent as figure, inbox_rate_of_sent_low as figure_low, inbox_rate_of_sent_high as figure_high,
        sent_count as n
    from analytics.mailbox_placement_latest
    where is_within_test_window""",
    bad="below", threshold=0.7, min_n=2,
    subject=lambda r: f"{r['mailbox_email']} at {r['recipient_esp']}",
    describe=lambda r, t: (f"inbox rate of sent {percent(r['figure'])} (95% interval {between(r)},"
                           f" n={r['n']} seeds, test of {r['tested_date']}) is below {percent(t)}"),
    mart_row=lambda r: where("mailbox_placement_latest", mailbox_email=r["mailbox_email"], recipient_esp=r["recipient_esp"]),
)

DOMAIN_DNS = Rule(
    "domain_dns", "domain DNS check failing",
    "select workspace_label, domain, checked_date as checked, spf, dkim, dmarc, accounts as n,"
    " (case when spf then 0 else 1 end) + (case when dkim then 0 else 1 end) + (case when dmarc then 0 else 1 end)"
    " as figure from analytics.sender_domain_dns_latest where not (spf and dkim and dmarc)",
    bad="flag", threshold=None, min_n=0,
    subject=lambda r: str(r["domain"]),
    describe=lambda r, t: (", ".join(f"{name} {'pass' if r[key] else 'FAIL'}" for name, key in
                                     (("SPF", "spf"), ("DKIM", "dkim"), ("DMARC", "dmarc")))
                           + f" (checked {r['checked']}, {r['n']} mailboxes)"),
    mart_row=lambda r: where("sender_domain_dns_latest", domain=r["domain"]),
)

MAILBOX_BOUNCE_RATE = Rule(
    "mailbox_bounce_rate", "mailbox bounce rate",
    """select workspace_label, email, health_date, figure, hits, n from (
        select workspace_label, email, health_date, bounce_rate as figure, least(bounced, sent) as hits, sent as n,
            row_number() over (partition by workspace_label, email order by health_date desc) as recency
        from analytics.sender_health_daily
        where sent >= {min_n} and health_date >= cast('{since}' as date)
    ) as days where recency = 1""",
    bad="above", threshold=0.05, min_n=20,
    subject=lambda r: str(r["email"]),
    describe=lambda r, t: (f"bounce rate {percent(r['figure'])} of {r['n']} emails sent on {r['health_date']}"
                           f" (95% interval {between(r)}) is above {percent(t)}"),
    mart_row=lambda r: where("sender_health_daily", email=r["email"], health_date=r["health_date"]),
)

WARMUP_SPAM = Rule(
    "warmup_spam", "mailbox warmup landing in spam",
    """select workspace_label, email,
        sum(warmup_landed_spam) * 1.0 / sum(warmup_landed_inbox + warmup_landed_spam) as figure,
        sum(warmup_landed_spam) as hits, sum(warmup_landed_inbox + warmup_landed_spam) as n
    from analytics.sender_health_daily
    where health_date >= cast('{since}' as date)
    group by workspace_label, email
    having sum(warmup_landed_inbox + warmup_landed_spam) > 0""",
    bad="above", threshold=0.1, min_n=10,
    subject=lambda r: str(r["email"]),
    describe=lambda r, t: (f"{percent(r['figure'])} of {r['n']} warmup emails landed in spam in the last 7 days"
                           f" (95% interval {between(r)}), above {percent(t)}"),
    mart_row=lambda r: where("sender_health_daily", email=r["email"]),
)

TEST_WORST_CELL = Rule(
    "test_worst_cell", "placement test's worst cell",
    "select workspace_label, source, test_id, test_name, run_date, geo || ' / ' || esp || ' / ' || recipient_type"
    " as cell, seeds_counted, inbox_rate as figure, inbox_rate_low as figure_low, inbox_rate_high as figure_high,"
    " seed_count as n from (" + WORST_CELLS.format(per_test=1) + ") as worst where run_date >= cast('{since}' as date)",
    bad="below", threshold=0.5, min_n=1,
    subject=lambda r: f"{SOURCE_NAMES.get(r['source'], r['source'])} test {r['test_name']}",
    describe=lambda r, t: (f"{r['cell']}: inbox rate of {r['seeds_counted']} {percent(r['figure'])}"
                           f" (95% interval {between(r)}, n={r['n']} seeds,"
                           f" run of {r['run_date']}) is below {percent(t)}"),
    mart_row=lambda r: where("placement_cells_latest", source=r["source"], test_id=r["test_id"], worst_rank_in_run=1),
)
"""Each test's worst cell among those with enough seeds (the mart's `verdict_min_seeds`), in a run
of the last 7 UTC days, opened only when its whole 95% interval is below the threshold."""


def family_rule(name: str, title: str, condition: str, describe: Callable[[Row, Optional[float]], str],
                bad: str = "flag", threshold: Optional[float] = None) -> Rule:
    """A rule on the run ledger's view of each family of each workspace (`source_freshness`)."""
    return Rule(
        name, title,
        "select source, family, workspace_label, last_status, last_cause, last_ok_at, freshness_status"
        f" from analytics.source_freshness where {condition}",
        bad=bad, threshold=threshold, min_n=0, subject=lambda r: str(r["family"]), describe=describe,
        mart_row=lambda r: where("source_freshness", workspace_label=r["workspace_label"], family=r["family"]),
    )


def cause_rule(name: str, title: str, condition: str, describe: Callable[[Row, Optional[float]], str]) -> Rule:
    """A rule on why families of a workspace did not load (`source_freshness`), one subject per
    workspace and cause: a revoked key or a missing scope is one alert naming the families it
    stopped (`campaigns, placement, ...`), not one per family."""
    return Rule(
        name, title,
        "select workspace_label, last_status, last_cause, string_agg(family, ', ' order by family) as families"
        f" from analytics.source_freshness where {condition} group by workspace_label, last_status, last_cause",
        bad="flag", threshold=None, min_n=0, subject=lambda r: str(r["families"]), describe=describe,
        mart_row=lambda r: where("source_freshness", workspace_label=r["workspace_label"], last_status=r["last_status"]),
    )


RUN_FAILED = cause_rule(
    "run_failed", "family failed on its latest run", "last_status in ('failed', 'refused')",
    lambda r, t: f"the latest run {'was refused' if r['last_status'] == 'refused' else 'failed'}: {r['last_cause']}",
)
FAMILY_UNSUPPORTED = cause_rule(
    "family_unsupported", "family not available to the workspace", "freshness_status = 'unsupported'",
    lambda r, t: f"not loaded: {r['last_cause']}",
)
DATA_STALE = family_rule(
    "data_stale", "data older than the freshness limit", "last_ok_at is not null and freshness_status <> 'unsupported'",
    lambda r, t: f"last loaded {r['figure']:.0f} hours ago ({str(r['last_ok_at'])[:16]} UTC), more than {t:.0f}",
    bad="above", threshold=36.0,
)

RULES = (MAILBOX_INBOX_RATE, DOMAIN_DNS, MAILBOX_BOUNCE_RATE, WARMUP_SPAM, TEST_WORST_CELL,
         RUN_FAILED, FAMILY_UNSUPPORTED, DATA_STALE)


def hours_since(value: Any, now: datetime) -> Optional[float]:
    """Hours from a warehouse timestamp (UTC, naive or not) to `now`."""
    if value is None:
        return None
    stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
    return (now - stamp).total_seconds() / 3600


def rows_of(rule: Rule, query: Callable[[str], Rows], today: date, now: datetime, min_n: int) -> Rows:
    """The rule's rows, ready to compare: the SQL's, and for freshness the hours computed here."""
    rows = query(rule.sql.format(min_n=int(min_n), since=today - timedelta(days=6)))
    if rule is DATA_STALE:
        rows = [dict(r, figure=hours_since(r["last_ok_at"], now), n=None) for r in rows]
    return rows
