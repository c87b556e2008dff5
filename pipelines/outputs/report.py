"""`make report`: one self-contained HTML page of the warehouse, for people rather than SQL.

Built from the `analytics` marts only, through the pipeline's SQL client, so it works on every
destination (DuckDB and PostgreSQL tested). Plotly draws the charts; its JavaScript is inlined,
so the page opens with no network. Each chart says how many marks it should draw
(`data-expected-marks`); a small script records how many it drew and any script error, which a
headless browser reads back in the tests.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

import duckdb
import plotly.graph_objects as go
from plotly.io import to_html
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from pipelines.common.errors import ConfigError
from pipelines.engine.warehouse import Warehouse

RATE_AXIS = dict(tickformat=".0%", range=[0, 1.02])
SOURCES = {"instantly": "Instantly inbox placement", "campaign_cleaner": "Campaign Cleaner seed tests"}
PLACEMENT_DIMENSIONS = {"esp": "recipient ESP", "geo": "recipient geo", "recipient_type": "recipient type"}


@dataclass
class Panel:
    """One chart (or its 'no data yet' note) and the marks it must draw."""

    title: str
    figure: Optional[go.Figure]
    marks: int
    empty_note: str = ""
    unavailable: str = ""
    """Why some workspaces have no data here (a family they do not allow): shown with the chart,
    or instead of it, so a missing add-on never reads as an empty, healthy chart."""


Rows = List[Dict[str, Any]]


def query(client: Any, sql: str) -> Rows:
    """Rows as dicts, from a dlt SQL client."""
    with client.execute_query(sql) as cursor:
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def placement_over_time(rows: Rows, dimension: str) -> Panel:
    """Inbox, spam and category rate by day, one line per group, Instantly and Campaign Cleaner
    side by side (spam and category one click away in the legend, so the inbox lines stay legible)."""
    title = f"Inbox, spam and category rate by {PLACEMENT_DIMENSIONS[dimension]}"
    if not rows:
        return Panel(title, None, 0, "No inbox placement results yet.")
    sources = [s for s in SOURCES if any(r["source"] == s for r in rows)]
    figure = make_subplots(rows=1, cols=len(sources), subplot_titles=[SOURCES[s] for s in sources], shared_yaxes=True)
    marks = 0
    for col, source in enumerate(sources, start=1):
        groups = sorted({r[dimension] for r in rows if r["source"] == source})
        for group in groups:
            points = sorted((r for r in rows if r["source"] == source and r[dimension] == group), key=lambda r: r["day"])
            for metric, dash in (("inbox_rate", "solid"), ("spam_rate", "dot"), ("category_rate", "dash")):
                inbox = metric == "inbox_rate"  # spam and category lines start hidden: click the legend
                figure.add_trace(go.Scatter(
                    x=[p["day"] for p in points], y=[p[metric] for p in points], mode="lines+markers",
                    name=f"{group}: {metric.split('_')[0]}", line=dict(dash=dash), legendgroup=group,
                    visible=True if inbox else "legendonly",
                ), row=1, col=col)
                marks += len(points) if inbox else 0
    figure.update_yaxes(title_text="share of seed emails", **RATE_AXIS)
    figure.update_xaxes(title_text="UTC day", tickformat="%b %d")
    return Panel(title, figure, marks)


def latest_runs(rows: Rows) -> Panel:
    """Each test's latest run: its inbox rate, and its worst (geo, ESP, type) cell."""
    title = "Each test's latest run: inbox rate, and its worst cell"
    if not rows:
        return Panel(title, None, 0, "No inbox placement tests yet.")
    labels = [f"{r['test_name'] or r['test_id']} ({r['day']})" for r in rows]
    figure = go.Figure(go.Bar(
        x=labels, y=[r["inbox_rate"] for r in rows],
        text=[f"worst: {r['worst_cell']} {r['worst_rate']:.0%}" for r in rows], textposition="outside",
        marker_color=["#c0392b" if r["worst_rate"] < 0.8 else "#2e86c1" for r in rows],
    ))
    figure.update_yaxes(title_text="inbox rate of the run", **RATE_AXIS)
    figure.update_xaxes(title_text="test (day of its latest run)")
    return Panel(title, figure, len(rows))


def below_80(rows: Rows, what: str) -> Panel:
    """Mailboxes (or domains) whose lowest inbox rate of the last 7 days is under 80%, worst first."""
    title = f"{what.capitalize()} below 80% inbox in the last 7 days"
    if not rows:
        return Panel(title, None, 0, f"No {what} below 80% inbox in the last 7 days (or no sender data yet).")
    rows = sorted(rows, key=lambda r: r["worst_rate"])
    figure = go.Figure(go.Bar(
        x=[r["worst_rate"] for r in rows], y=[r["name"] for r in rows], orientation="h",
        marker_color="#c0392b", text=[f"{r['worst_rate']:.0%}" for r in rows], textposition="outside",
    ))
    figure.update_xaxes(title_text="lowest inbox rate (warmup or placement)", **RATE_AXIS)
    figure.update_yaxes(title_text=what, autorange="reversed")
    return Panel(title, figure, len(rows))


def campaign_days(rows: Rows) -> Panel:
    """Emails sent per day (bars) and the reply rate (line), over every campaign."""
    title = "Campaigns: emails sent and reply rate by day"
    if not rows:
        return Panel(title, None, 0, "No campaign activity yet.")
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_trace(go.Bar(x=[r["day"] for r in rows], y=[r["sent"] for r in rows], name="emails sent"))
    figure.add_trace(go.Scatter(x=[r["day"] for r in rows], y=[r["reply_rate"] for r in rows],
                                mode="lines+markers", name="reply rate"), secondary_y=True)
    figure.update_yaxes(title_text="emails sent", secondary_y=False)
    figure.update_yaxes(title_text="reply rate (unique replies / sent)", tickformat=".1%", secondary_y=True)
    figure.update_xaxes(title_text="UTC day", tickformat="%b %d")
    return Panel(title, figure, 2 * len(rows))


PLACEMENT_BY = """
select source, cast("date" as date) as day, {dim},
    sum(inbox_count) * 1.0 / sum(total_count) as inbox_rate,
    sum(spam_count) * 1.0 / sum(total_count) as spam_rate,
    sum(category_count) * 1.0 / sum(total_count) as category_rate
from analytics.placement_rates_by_{table}
group by source, cast("date" as date), {dim}
having sum(total_count) > 0
"""

LATEST_RUNS = """
with latest as (
    select source, test_id, max(placement_date) as day from analytics.inbox_placement group by source, test_id
),
cells as (
    select p.source, p.test_id, latest.day, p.geo || ' / ' || p.esp || ' / ' || p.recipient_type as cell,
        sum(p.inbox_count) as inbox, sum(p.total_count) as total
    from analytics.inbox_placement as p
    inner join latest on latest.source = p.source and latest.test_id = p.test_id and latest.day = p.placement_date
    group by p.source, p.test_id, latest.day, p.geo, p.esp, p.recipient_type
),
ranked as (
    select cells.*, row_number() over (partition by source, test_id order by inbox * 1.0 / total, cell) as rank_in_run
    from cells where total > 0
)
select ranked.source, ranked.test_id, coalesce(tests.test_name, seeds.test_name) as test_name, ranked.day,
    (select sum(c.inbox) * 1.0 / sum(c.total) from cells as c where c.source = ranked.source and c.test_id = ranked.test_id)
        as inbox_rate,
    ranked.cell as worst_cell, ranked.inbox * 1.0 / ranked.total as worst_rate
from ranked
left join analytics.inbox_placement_tests as tests on tests.test_id = ranked.test_id
left join (select distinct job_id, test_name from analytics.seed_test_results) as seeds on seeds.job_id = ranked.test_id
where rank_in_run = 1
order by ranked.source, ranked.day, ranked.test_id
"""

MAILBOXES_BELOW = """
select email as name, min(least(coalesce(warmup_inbox_rate, 1), coalesce(placement_inbox_rate, 1))) as worst_rate
from analytics.sender_health_daily
where health_date >= (select max(health_date) from analytics.sender_health_daily) - 6
group by email
having min(least(coalesce(warmup_inbox_rate, 1), coalesce(placement_inbox_rate, 1))) < 0.8
"""

DOMAINS_BELOW = """
select domain as name, min(warmup_inbox_rate) as worst_rate
from analytics.sender_domain_health
where health_date >= (select max(health_date) from analytics.sender_domain_health) - 6
group by domain
having min(warmup_inbox_rate) < 0.8
"""

CAMPAIGN_DAYS = """
select activity_date as day, sum(sent_count) as sent,
    case when sum(sent_count) > 0 then sum(unique_reply_count) * 1.0 / sum(sent_count) end as reply_rate
from analytics.campaign_daily
group by activity_date
order by activity_date
"""

FRESHNESS = """
select source, family, workspace_label, freshness_status, last_cause, last_loaded_day, last_ok_at
from analytics.source_freshness
order by source, workspace_label, family
"""


def unavailable(freshness: Rows, family: str) -> str:
    """`Not available: needs the Inbox Placement add-on` (naming the workspaces when only some
    lack it) for a family the workspaces do not allow; empty when every workspace allows it."""
    rows = [r for r in freshness if r["family"] == family]
    refused = [r for r in rows if r["freshness_status"] == "unsupported"]
    if not refused:
        return ""
    reason = str(refused[0]["last_cause"] or "").split(" (")[0]  # the cause opens with what would enable it
    where = "" if len(refused) == len(rows) else " for " + ", ".join(r["workspace_label"] for r in refused)
    return f"Not available{where}: {reason}."


def panels(client: Any, freshness: Rows) -> List[Panel]:
    out = []
    for dim, table in (("esp", "esp"), ("geo", "geo"), ("recipient_type", "recipient_type")):
        out.append(placement_over_time(query(client, PLACEMENT_BY.format(dim=dim, table=table)), dim))
    out.append(latest_runs(query(client, LATEST_RUNS)))
    for panel in out:
        panel.unavailable = unavailable(freshness, "placement")
    out.append(below_80(query(client, MAILBOXES_BELOW), "mailboxes"))
    out.append(below_80(query(client, DOMAINS_BELOW), "domains"))
    out[-2].unavailable = out[-1].unavailable = unavailable(freshness, "warmup")
    out.append(campaign_days(query(client, CAMPAIGN_DAYS)))
    return out


PROBE = """
<script>
window.reportErrors = [];
window.addEventListener("error", function (e) { window.reportErrors.push(String(e.message)); });
var consoleError = console.error;
console.error = function () {
  window.reportErrors.push(Array.from(arguments).join(" "));
  consoleError.apply(console, arguments);
};
function countMarks() {
  document.querySelectorAll("[data-expected-marks]").forEach(function (panel) {
    var drawn = panel.querySelectorAll(".scatterlayer .point, .barlayer .point").length;
    panel.setAttribute("data-drawn-marks", String(drawn));
  });
  var errors = document.getElementById("report-errors");
  errors.textContent = window.reportErrors.join("\\n");
  errors.setAttribute("data-count", String(window.reportErrors.length));
  document.body.setAttribute("data-report-ready", "true");
}
window.addEventListener("load", function () { setTimeout(countMarks, 50); });
</script>
"""

STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; max-width: 1200px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 4px 10px; text-align: left; }
.empty { padding: 18px; background: #f6f6f6; border: 1px dashed #bbb; color: #555; }
"""


def freshness_table(rows: Rows) -> str:
    """Per workspace and family: fresh, stale (with why), unsupported (with what enables it)."""
    if not rows:
        return '<div class="empty" id="freshness">No source has loaded yet.</div>'
    body = "".join(
        f"<tr data-source=\"{escape(r['source'])}\" data-family=\"{escape(r['family'])}\""
        f" data-status=\"{escape(r['freshness_status'])}\"><td>{escape(r['workspace_label'])}</td>"
        f"<td>{escape(r['family'])}</td><td class=\"status\">{escape(r['freshness_status'])}</td>"
        f"<td class=\"day\">{escape(str(r['last_loaded_day'] or ''))}</td>"
        f"<td class=\"run\">{escape(str(r['last_ok_at'] or '')[:19])}</td>"
        f"<td class=\"cause\">{escape(r['last_cause'] or '')}</td></tr>"
        for r in rows
    )
    return (
        '<table id="freshness"><tr><th>workspace</th><th>family</th><th>status</th><th>last loaded UTC day</th>'
        f"<th>last loaded (UTC)</th><th>why not fresh</th></tr>{body}</table>"
    )


def render(panel_list: Sequence[Panel], freshness: Rows, generated: date) -> str:
    """The page: freshness first, then every chart or its 'no data yet' note."""
    parts = []
    for n, panel in enumerate(panel_list):
        if panel.figure is None:
            chart = f'<div class="empty">{escape(panel.unavailable or panel.empty_note)}</div>'
        else:
            note = f'<p class="unavailable">{escape(panel.unavailable)}</p>' if panel.unavailable else ""
            panel.figure.update_layout(height=420, margin=dict(t=60, l=60, r=20, b=60))
            chart = note + to_html(panel.figure, include_plotlyjs=False, full_html=False, div_id=f"chart-{n}")
        parts.append(
            f'<section class="panel" data-title="{escape(panel.title)}" data-expected-marks="{panel.marks}">'
            f"<h2>{escape(panel.title)}</h2>{chart}</section>"
        )
    return (
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Deliverability report</title>"
        f"<style>{STYLE}</style><script>{get_plotlyjs()}</script>{PROBE}</head><body>"
        f"<h1>Deliverability report</h1><p>Built {generated.isoformat()} (UTC) from the analytics marts.</p>"
        f"<h2>Freshness</h2>{freshness_table(freshness)}{''.join(parts)}"
        '<pre id="report-errors" style="display:none"></pre></body></html>'
    )


def write_report(warehouse: Warehouse, path: Path, today: date) -> Path:
    """Reads the marts of `warehouse` (read-only) and writes the page to `path`."""
    with reader(warehouse) as client:
        if not query(client, MARTS):
            raise ConfigError(f"{warehouse.identity} has no marts yet: load it first (make run, or make demo)")
        freshness = query(client, FRESHNESS)
        html = render(panels(client, freshness), freshness, today)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


MARTS = "select table_name from information_schema.tables where table_schema = 'analytics' and table_name = 'source_freshness'"


@contextmanager
def reader(warehouse: Warehouse) -> Iterator[Any]:
    """A client that reads the warehouse: a DuckDB file is opened read-only (beside BI tools
    reading it too), any other destination through dlt's SQL client."""
    if warehouse.duckdb_file is None:
        from pipelines.engine.runner import make_pipeline

        with make_pipeline(warehouse).sql_client() as client:
            yield client
        return
    with duckdb.connect(str(warehouse.duckdb_file), read_only=True) as con:
        yield DuckDBReader(con)


@dataclass
class DuckDBReader:
    """A read-only DuckDB connection that answers like dlt's SQL client (`execute_query`)."""

    con: Any

    @contextmanager
    def execute_query(self, sql: str) -> Iterator[Any]:
        yield self.con.execute(sql)
