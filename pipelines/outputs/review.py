"""The weekly review's panels: what a deliverability lead opens on Monday, each read from the
`analytics` marts with the number of seeds, mailboxes or emails behind it.

Rates of a handful of seeds swing wildly from day to day, so nothing here is a daily rate line:
placement is aggregated to the UTC week (Monday first) and shown with its n, and where a chart
would mislead (a few rows to read and act on) the panel is a table.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pipelines.outputs.certainty import beyond_noise, wilson_interval
from pipelines.outputs.marts import SOURCE_NAMES, WORST_CELLS, Rows

Query = Callable[[str], Rows]

HEATMAP_WEEKS = 8
"""Weeks the ESP heatmap and the campaign chart cover, ending with the report's week."""
TABLE_ROWS = 50
"""Rows a table shows; the rest are counted under it."""
WORST_CELLS_PER_TEST = 3
SILENT_DAYS = 7
"""Days back a silent sender is listed."""


@dataclass
class Panel:
    """One panel: a chart or a table (or why there is neither), and what it stands on."""

    key: str
    title: str
    figure: Optional[go.Figure] = None
    table: str = ""
    marks: int = 0
    """What the browser must draw: chart points, heatmap cells, or table rows."""
    n: int = 0
    """Seeds (or mailboxes, domains, emails) the panel stands on, printed with it."""
    n_label: str = ""
    empty_note: str = ""
    caveat: str = ""
    """What the panel cannot show for some workspaces (a family they do not allow, or whose last
    load failed), so a missing add-on or a failed load never reads as an empty, healthy panel."""
    family: str = ""
    """The loaded family the panel reads (its caveat comes from its latest runs)."""
    notes: List[str] = field(default_factory=list)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_label(week: str, today: date) -> str:
    """A week's start as a chart labels it, `(to date)` after the week not over yet: a part-week
    never reads as a full one (a drop that is only the days still to come)."""
    return f"{week} (to date)" if week == week_start(today).isoformat() else week


def percent(value: Optional[float]) -> str:
    return "" if value is None else f"{value:.0%}"


def span(low: Optional[float], high: Optional[float]) -> str:
    """A 95% interval as the page shows it (`22%-50%`)."""
    return f"{percent(low)}-{percent(high)}"


def ratio(part: Any, whole: Any) -> Optional[float]:
    return float(part) / float(whole) if whole else None


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An HTML table; each body row is a `tr.row`, which the browser probe counts. Rows beyond
    `TABLE_ROWS` are left out and counted under it."""
    shown = rows[:TABLE_ROWS]
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        '<tr class="row">' + "".join(f"<td>{escape(str(v if v is not None else ''))}</td>" for v in row) + "</tr>"
        for row in shown
    )
    more = len(rows) - len(shown)
    tail = f'<p class="more">and {more} more (query the mart for all).</p>' if more > 0 else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{tail}"


def tabulated(panel: Panel, headers: Sequence[str], rows: Sequence[Sequence[Any]], n: int) -> Panel:
    """`panel` as a table of `rows`, standing on `n`; without rows it keeps its empty note."""
    if not rows:
        return panel
    panel.table = table(headers, rows)
    panel.marks = min(len(rows), TABLE_ROWS)
    panel.n = n
    return panel


HEADLINE = """
select week_start, sum(sent_count) as sent, sum(inbox_count) as inbox, sum(missing_count) as missing,
    sum(spam_count) as spam
from analytics.placement_rates_by_esp_pair_weekly
where week_start >= cast('{first_week}' as date) and week_start <= cast('{this_week}' as date)
group by week_start
"""
def rate_of_sent(week: Dict[str, Any], metric: str) -> str:
    """`x% of n` for a week's `metric` over its seeds sent, or `no seeds`."""
    sent = int(week.get("sent") or 0)
    return f"{percent(ratio(week.get(metric), sent))} of {sent}" if sent else "no seeds"


def rate_of_sent_with_interval(week: Dict[str, Any], metric: str) -> str:
    """`x% of n (low-high)`: `rate_of_sent` with its 95% interval, or `no seeds`."""
    sent = int(week.get("sent") or 0)
    if not sent:
        return "no seeds"
    low, high = wilson_interval(int(week.get(metric) or 0), sent)
    return f"{rate_of_sent(week, metric)} ({span(low, high)})"


def compared(week: Dict[str, Any], before: Dict[str, Any], metric: str) -> Optional[Tuple[float, bool]]:
    """The change of `metric`'s rate of sent from `before` to `week` in points, and whether it is
    larger than its noise (`beyond_noise`); None unless both weeks sent seeds."""
    sent_a, sent_b = int(week.get("sent") or 0), int(before.get("sent") or 0)
    if not sent_a or not sent_b:
        return None
    part_a, part_b = int(week.get(metric) or 0), int(before.get(metric) or 0)
    return (part_a / sent_a - part_b / sent_b) * 100, beyond_noise(part_a, sent_a, part_b, sent_b)


def change(week: Dict[str, Any], before: Dict[str, Any], metric: str) -> str:
    """`-12 points`, with `(within noise)` when it is not larger than its noise."""
    found = compared(week, before, metric)
    if found is None:
        return ""
    points, real = found
    return f"{points:+.0f} points" + ("" if real else " (within noise)")


def complete_weeks(today: date) -> Tuple[date, date, date]:
    """The Mondays of the week to date, of the last complete UTC week and of the one before."""
    this_week = week_start(today)
    return this_week, this_week - timedelta(days=7), this_week - timedelta(days=14)


def headline(query: Query, today: date) -> Panel:
    """The last complete UTC week against the one before (what Monday's review asks), with the
    week to date apart: inbox rate of sent, missing and spam, each with its seeds, and whether the
    change is larger than its noise."""
    this_week, last_week, week_before = complete_weeks(today)
    panel = Panel("headline", "Last complete week against the one before (Instantly seed tests)", family="placement",
                  n_label="seeds sent", empty_note="No Instantly seed emails sent in the last three weeks.")
    weeks = {str(r["week_start"])[:10]: r for r in query(HEADLINE.format(first_week=week_before, this_week=this_week))}
    if not weeks:
        return panel
    complete, before, to_date = (weeks.get(week.isoformat(), {}) for week in (last_week, week_before, this_week))
    rows = [(label, rate_of_sent(complete, metric), rate_of_sent(before, metric), change(complete, before, metric),
             rate_of_sent(to_date, metric))
            for label, metric in (("inbox rate of sent", "inbox"), ("missing", "missing"), ("spam rate of sent", "spam"))]
    panel.notes.append("Campaign Cleaner reports no sends, so its results are not in rates of sent.")
    panel.notes.append(f"The week of {this_week:%b %d} is not over: it is shown apart and compared with nothing.")
    return tabulated(panel, ("", f"week of {last_week:%b %d}", f"week of {week_before:%b %d}", "change",
                             f"week of {this_week:%b %d} (to date)"), rows,
                     sum(int(week.get("sent") or 0) for week in (complete, before, to_date)))


CLIENT_WEEKS = """
select workspace_label, week_start, sum(sent_count) as sent, sum(inbox_count) as inbox
from analytics.placement_rates_by_esp_pair_weekly
where week_start >= cast('{week_before}' as date) and week_start < cast('{this_week}' as date)
group by workspace_label, week_start
"""


def clients(query: Query, today: date) -> Optional[Panel]:
    """In agency mode, each client's inbox rate of sent in the last complete week against the one
    before, the largest drop first (a change within its noise after every real one): which client
    to look at first. None with a single workspace: the headline says it all."""
    this_week, last_week, week_before = complete_weeks(today)
    rows = query(CLIENT_WEEKS.format(week_before=week_before, this_week=this_week))
    by_client: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for r in rows:
        by_client.setdefault(str(r["workspace_label"]), {})[str(r["week_start"])[:10]] = r
    if len(by_client) < 2:
        return None
    panel = Panel("clients", "Clients, the largest drop in inbox rate of sent first", family="placement",
                  n_label="seeds sent", notes=["Each week's rate of sent with its 95% interval."])
    weeks = {label: (w.get(last_week.isoformat(), {}), w.get(week_before.isoformat(), {})) for label, w in by_client.items()}

    def order(label: str) -> tuple:
        found = compared(*weeks[label], "inbox")
        points, real = found if found is not None else (0.0, False)
        return (not real, found is None, points, label)

    return tabulated(
        panel, ("workspace", f"week of {last_week:%b %d}", f"week of {week_before:%b %d}", "change in inbox rate of sent"),
        [(label, rate_of_sent_with_interval(weeks[label][0], "inbox"), rate_of_sent_with_interval(weeks[label][1], "inbox"),
          change(*weeks[label], "inbox")) for label in sorted(weeks, key=order)],
        sum(int(r["sent"] or 0) for r in rows),
    )


ESP_WEEKS = """
select week_start, recipient_esp, sum(sent_count) as sent, sum(inbox_count) as inbox
from analytics.placement_rates_by_esp_pair_weekly
where week_start >= cast('{first_week}' as date)
group by week_start, recipient_esp
"""


MIN_SEEDS = "select max(verdict_min_seeds) as seeds from analytics.placement_cells_latest"
"""The fewest seeds a rate needs to carry a verdict (the dbt var `verdict_min_seeds`, as the marts applied it)."""


def esp_heatmap(query: Query, today: date) -> Panel:
    """Inbox rate of sent per recipient ESP and week, each cell with its seed count. A cell of
    fewer seeds than a verdict needs shows its rate uncoloured, marked "too few": a colour is a
    verdict."""
    first_week = week_start(today) - timedelta(days=7 * (HEATMAP_WEEKS - 1))
    panel = Panel("esp-weeks", "Inbox rate of sent by recipient ESP and week", family="placement", n_label="seeds sent",
                  empty_note=f"No Instantly seed emails sent in the last {HEATMAP_WEEKS} weeks.")
    rows = query(ESP_WEEKS.format(first_week=first_week))
    if not rows:
        return panel
    weeks = sorted({str(r["week_start"])[:10] for r in rows})
    esps = sorted({r["recipient_esp"] for r in rows})
    cells = {(str(r["week_start"])[:10], r["recipient_esp"]): r for r in rows}
    min_seeds = int(query(MIN_SEEDS)[0]["seeds"] or 0)

    def enough(cell: Dict[str, Any]) -> bool:
        return int(cell["sent"]) >= min_seeds

    z = [[ratio(cells[w, e]["inbox"], cells[w, e]["sent"]) if (w, e) in cells and enough(cells[w, e]) else None
          for w in weeks] for e in esps]
    text = [[(f"{percent(ratio(c['inbox'], c['sent']))}<br>n={int(c['sent'])}" + ("" if enough(c) else ", too few"))
             if (c := cells.get((w, e))) else "" for w in weeks] for e in esps]
    panel.figure = go.Figure(go.Heatmap(
        x=[week_label(w, today) for w in weeks], y=esps, z=z, text=text, texttemplate="%{text}", zmin=0, zmax=1,
        colorscale="RdYlGn", colorbar=dict(title="inbox of sent", tickformat=".0%"), xgap=2, ygap=2,
        hovertemplate="week of %{x}<br>%{y}: %{text} inbox of sent<extra></extra>",
    ))
    if any(not enough(c) for c in cells.values()):
        panel.notes.append(f"A cell of fewer than {min_seeds} seeds is not coloured: too few to say.")
    panel.figure.update_xaxes(title_text="week starting (UTC Monday)", type="category")
    panel.figure.update_yaxes(title_text="recipient ESP")
    panel.marks = len(cells)
    panel.n = sum(int(r["sent"]) for r in rows)
    return panel


TOO_FEW_SEEDS = "select count(*) as cells from analytics.placement_cells_latest where not has_enough_seeds"


def worst_cells(query: Query) -> Panel:
    """The lowest-placing (geo / ESP / type) cells of each test's latest run, worst first by the
    high end of their 95% interval, among the cells with enough seeds to say (the mart's
    `verdict_min_seeds`); the cells with fewer are counted, not listed."""
    panel = Panel("worst-cells", "Worst cells of the latest tests", family="placement", n_label="seeds in these cells",
                  empty_note="No seed test results with enough seeds per cell yet.")
    rows = query(WORST_CELLS.format(per_test=WORST_CELLS_PER_TEST))
    tabulated(
        panel, ("workspace", "source", "test", "run (UTC day)", "geo / ESP / type", "inbox rate", "95% interval", "seeds"),
        [(r["workspace_label"] or "", SOURCE_NAMES.get(r["source"], r["source"]), r["test_name"], str(r["run_date"])[:10],
          f"{r['geo']} / {r['esp']} / {r['recipient_type']}", f"{percent(r['inbox_rate'])} of {r['seeds_counted']}",
          span(r["inbox_rate_low"], r["inbox_rate_high"]), int(r["seed_count"])) for r in rows],
        sum(int(r["seed_count"]) for r in rows),
    )
    too_few = int(query(TOO_FEW_SEEDS)[0]["cells"])
    if too_few:
        panel.notes.append(f"{too_few} cells with too few seeds to rank (under the mart's verdict_min_seeds) are not listed.")
    return panel


GOT_WORSE = """
select workspace_label, measure, subject_kind, subject, n, rate, rate_low, rate_high, previous_week_n, previous_week_rate,
    change
from analytics.weekly_changes
where week_start = cast('{week}' as date) and is_worse and is_beyond_noise and has_enough_n
order by n desc, measure, subject_kind, subject
"""


def got_worse(query: Query, today: date) -> Panel:
    """What got worse, and where: the last complete UTC week's mailboxes, sending domains and ESP
    pairs whose inbox rate of sent fell (and mailboxes whose bounce rate rose or warmup inbox rate
    fell) by more than the noise, against the week before, on enough n in both weeks (a verdict);
    the largest n first, the most sends affected."""
    _, last_week, week_before = complete_weeks(today)
    panel = Panel("got-worse", f"What got worse in the week of {last_week:%b %d} (against {week_before:%b %d})",
                  family="placement", n_label="sends in these rows",
                  empty_note="Nothing got worse by more than its noise in the last complete week.")
    rows = query(GOT_WORSE.format(week=last_week))
    return tabulated(
        panel, ("workspace", "what", "where", f"week of {last_week:%b %d}", "95% interval", f"week of {week_before:%b %d}",
                "change"),
        [(r["workspace_label"], r["measure"], f"{r['subject_kind']} {r['subject']}",
          f"{percent(r['rate'])} of {int(r['n'])}", span(r["rate_low"], r["rate_high"]),
          f"{percent(r['previous_week_rate'])} of {int(r['previous_week_n'])}", f"{float(r['change']) * 100:+.0f} points")
         for r in rows],
        sum(int(r["n"]) for r in rows),
    )


NOT_READY = """
select workspace_label, mailbox_email, readiness_reason, warmup_health_score, latest_tested_date
from analytics.mailbox_readiness
where readiness_status = 'not ready'
order by lowest_inbox_rate_of_sent, workspace_label, mailbox_email
"""
UNJUDGED = """
select readiness_status, count(*) as mailboxes, max(test_window_days) as test_window_days
from analytics.mailbox_readiness
where readiness_status in ('unsure', 'stale', 'untested')
group by readiness_status
"""


def mailboxes_not_ready(query: Query) -> Panel:
    """Mailboxes whose latest test within the window fell short at some ESP beyond doubt. Unsure,
    stale and untested mailboxes are counted under it, never listed as not ready: no recent test
    on enough seeds says so."""
    panel = Panel("not-ready", "Mailboxes not ready to send", family="placement", n_label="mailboxes not ready",
                  empty_note="No mailbox tested within the test window falls short beyond doubt (or none is loaded yet).")
    rows = query(NOT_READY)
    tabulated(
        panel, ("workspace", "mailbox", "why", "warmup health", "last tested (UTC day)"),
        [(r["workspace_label"], r["mailbox_email"], r["readiness_reason"],
          "" if r["warmup_health_score"] is None else f"{float(r['warmup_health_score']):.0f}",
          str(r["latest_tested_date"])[:10]) for r in rows],
        len(rows),
    )
    unjudged = {r["readiness_status"]: r for r in query(UNJUDGED)}
    if "unsure" in unjudged:
        panel.notes.append(f"{int(unjudged['unsure']['mailboxes'])} mailboxes fell short on too few seeds to say"
                           " (unsure): test them with more seeds to judge them.")
    if "stale" in unjudged:
        stale = unjudged["stale"]
        panel.notes.append(f"{int(stale['mailboxes'])} mailboxes have no test in the last"
                           f" {int(stale['test_window_days'])} days (stale): test them again to judge them.")
    if "untested" in unjudged:
        panel.notes.append(f"{int(unjudged['untested']['mailboxes'])} mailboxes were never tested.")
    return panel


SILENT = """
select s.workspace_label, coalesce(t.test_name, s.test_id) as test_name, s.sender_email,
    count(*) as silent_runs, max(s.run_date) as last_silent
from analytics.placement_test_senders as s
left join analytics.inbox_placement_tests as t on t.test_id = s.test_id
where s.sender_status = 'silent' and s.run_date >= cast('{since}' as date)
group by s.workspace_label, coalesce(t.test_name, s.test_id), s.sender_email
order by last_silent desc, s.workspace_label, test_name, s.sender_email
"""


def silent_senders(query: Query, today: date) -> Panel:
    """Senders a test lists that sent nothing on its recent runs: often a disconnected or blocked mailbox."""
    panel = Panel("silent", f"Silent senders (last {SILENT_DAYS} days)", family="placement",
                  n_label="silent senders", empty_note=f"No listed sender stayed silent in the last {SILENT_DAYS} days.")
    rows = query(SILENT.format(since=today - timedelta(days=SILENT_DAYS - 1)))
    return tabulated(panel, ("workspace", "test", "sender", "silent runs", "last silent (UTC day)"),
                     [(r["workspace_label"], r["test_name"], r["sender_email"], int(r["silent_runs"]),
                       str(r["last_silent"])[:10]) for r in rows], len(rows))


FAILING_DOMAINS = """
select workspace_label, domain, accounts, spf, dkim, dmarc, mx, checked_date
from analytics.sender_domain_dns_latest
where not all_pass
order by workspace_label, domain
"""


def failing_domains(query: Query) -> Panel:
    """Sending domains whose latest DNS check fails SPF, DKIM, DMARC or MX."""
    panel = Panel("domains", "Domains failing a DNS check", family="vitals", n_label="domains failing",
                  empty_note="Every sending domain passes SPF, DKIM, DMARC and MX (or none is checked yet).")
    rows = query(FAILING_DOMAINS)

    def check(value: Any) -> str:
        return "" if value is None else ("pass" if value else "FAIL")

    return tabulated(panel, ("workspace", "domain", "mailboxes", "SPF", "DKIM", "DMARC", "MX", "checked (UTC day)"),
                     [(r["workspace_label"], r["domain"], r["accounts"], check(r["spf"]), check(r["dkim"]),
                       check(r["dmarc"]), check(r["mx"]), str(r["checked_date"])[:10]) for r in rows], len(rows))


CAMPAIGN_WEEKS = """
select cast(date_trunc('week', activity_date) as date) as week_start, sum(sent_count) as sent, sum(unique_reply_count) as replies,
    sum(bounced_count) as bounced
from analytics.campaign_daily
where activity_date >= cast('{first_week}' as date)
group by cast(date_trunc('week', activity_date) as date)
order by 1
"""


def campaign_outcomes(query: Query, today: date) -> Panel:
    """Emails sent per week (bars), with the reply and bounce rates of those weeks (lines)."""
    first_week = week_start(today) - timedelta(days=7 * (HEATMAP_WEEKS - 1))
    panel = Panel("campaigns", "Campaign outcomes by week", family="campaigns", n_label="emails sent",
                  empty_note=f"No campaign emails sent in the last {HEATMAP_WEEKS} weeks.")
    rows = [r for r in query(CAMPAIGN_WEEKS.format(first_week=first_week)) if r["sent"]]
    if not rows:
        return panel
    weeks = [week_label(str(r["week_start"])[:10], today) for r in rows]
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_trace(go.Bar(x=weeks, y=[int(r["sent"]) for r in rows], name="emails sent", marker_color="#aab7c4"))
    for metric, name, color in (("replies", "reply rate", "#1e8449"), ("bounced", "bounce rate", "#c0392b")):
        figure.add_trace(go.Scatter(x=weeks, y=[ratio(r[metric], r["sent"]) for r in rows], mode="lines+markers",
                                    name=name, line=dict(color=color)), secondary_y=True)
    figure.update_yaxes(title_text="emails sent", secondary_y=False)
    figure.update_yaxes(title_text="share of emails sent", tickformat=".1%", rangemode="tozero", secondary_y=True)
    figure.update_xaxes(title_text="week starting (UTC Monday)", type="category")
    panel.figure = figure
    panel.marks = 3 * len(rows)
    panel.n = sum(int(r["sent"]) for r in rows)
    return panel


ALERTS_EVALUATED = """
select count(*) as tables from information_schema.tables where table_schema = 'raw' and table_name = 'alert_state'
"""
OPEN_ALERTS = """
select workspace_label, rule, subject, detail, first_seen_at
from raw.alert_state
where status = 'open'
order by workspace_label, rule, subject
"""


def open_alerts(query: Query) -> Panel:
    """The alerts open now (`raw.alert_state`, as the last evaluation left it), workspace by
    workspace: what the alerts said, on the page beside the numbers behind it."""
    panel = Panel("alerts", "Open alerts", n_label="alerts open",
                  empty_note="No alert is open (or none has been evaluated yet).")
    if not int(query(ALERTS_EVALUATED)[0]["tables"]):
        return panel
    rows = query(OPEN_ALERTS)
    return tabulated(
        panel, ("workspace", "rule", "subject", "what it found", "open since (UTC)"),
        [(r["workspace_label"], r["rule"], r["subject"], r["detail"], str(r["first_seen_at"])[:16]) for r in rows],
        len(rows),
    )


def weekly_review(query: Query, today: date) -> List[Panel]:
    """Every panel, in the order the page shows them (UTC weeks from Monday, as the marts'). In
    agency mode the panels that add clients up say so; the others list rows per workspace."""
    agency = clients(query, today)
    summed = [headline(query, today), esp_heatmap(query, today), campaign_outcomes(query, today)]
    if agency is not None:
        for panel in summed:
            panel.notes.append("Every client added up: each client's own figures are in the clients index,"
                               " and `report --workspace LABEL` writes one client's page.")
    top, heatmap, outcomes = summed
    return [
        top,
        *([agency] if agency else []),
        open_alerts(query),
        got_worse(query, today),
        heatmap,
        worst_cells(query),
        mailboxes_not_ready(query),
        silent_senders(query, today),
        failing_domains(query),
        outcomes,
    ]
