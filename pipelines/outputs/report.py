"""`make report`: the weekly review, one self-contained HTML page of the warehouse for the
deliverability lead (the panels: `review.py`).

Built from the `analytics` marts (and `raw.alert_state`, the alerts open now) only, through the
pipeline's SQL client, so it works on every destination (DuckDB and PostgreSQL tested). Plotly
draws the charts; its JavaScript is inlined, so the page opens with no network. Each panel says
what the browser must draw
(`data-expected-marks`: chart points, heatmap cells, table rows) and the n it stands on
(`data-n`); a small script records what was drawn and any script error, which a headless
browser reads back in the tests. `?panel=KEY` shows one panel alone (for screenshots).
"""

from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from plotly.io import to_html
from plotly.offline import get_plotlyjs

from pipelines.common.errors import ConfigError
from pipelines.engine.warehouse import Warehouse
from pipelines.outputs.marts import Rows, as_of, loaded_at, query, reader, require_marts, scoped
from pipelines.outputs.review import Panel, weekly_review

FRESHNESS = """
select source, family, workspace_label, freshness_status, last_status, last_cause, last_loaded_day, last_ok_at
from analytics.source_freshness
order by source, workspace_label, family
"""


def workspaces_named(rows: Rows, of: Rows, most: int = 5) -> str:
    """` for acme, globex` when `rows` are only some of the family's (`of`); empty when all."""
    if len(rows) == len(of):
        return ""
    labels = [str(r["workspace_label"]) for r in rows]
    more = f" and {len(labels) - most} more" if len(labels) > most else ""
    return " for " + ", ".join(labels[:most]) + more


def caveat(freshness: Rows, family: str) -> str:
    """What a panel reading `family` cannot show, from each workspace's latest run of it:
    `Not available: needs the Inbox Placement add-on.` (a family the workspace does not allow),
    `Not refreshed: the last load failed (HTTP 500 ...); shown as loaded on 2026-12-01.`, or
    `Not loaded yet: ...`, naming the workspaces when only some are concerned. Empty when every
    workspace's latest run of it loaded."""
    rows = [r for r in freshness if r["family"] == family]
    notes = []
    refused = [r for r in rows if r["freshness_status"] == "unsupported"]
    if refused:
        reason = str(refused[0]["last_cause"] or "").split(" (")[0]  # the cause opens with what would enable it
        notes.append(f"Not available{workspaces_named(refused, rows)}: {reason}.")
    stale = [r for r in rows if r["freshness_status"] == "stale"]
    if stale:
        first = stale[0]
        as_of = str(first["last_ok_at"] or first["last_loaded_day"] or "")[:10]
        notes.append(f"Not refreshed{workspaces_named(stale, rows)}: the last load {first['last_status']}"
                     f" ({first['last_cause']}); shown as loaded on {as_of}.")
    never = [r for r in rows if r["freshness_status"] == "never loaded"]
    if never:
        notes.append(f"Not loaded yet{workspaces_named(never, rows)}: {never[0]['last_cause'] or 'no run loaded it'}.")
    return " ".join(notes)


def panels(read: Callable[[str], Rows], freshness: Rows, today: date) -> List[Panel]:
    out = weekly_review(read, today)
    for panel in out:
        panel.caveat = caveat(freshness, panel.family)
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
    var drawn = panel.querySelectorAll(".scatterlayer .point, .barlayer .point, tr.row").length;
    panel.querySelectorAll(".heatmap-label text").forEach(function (label) {
      if ((label.getAttribute("data-unformatted") || "").indexOf("n=") >= 0) { drawn += 1; }
    });
    panel.setAttribute("data-drawn-marks", String(drawn));
  });
  var errors = document.getElementById("report-errors");
  errors.textContent = window.reportErrors.join("\\n");
  errors.setAttribute("data-count", String(window.reportErrors.length));
  document.body.setAttribute("data-report-ready", "true");
}
function showOnly() {
  var only = new URLSearchParams(window.location.search).get("panel");
  if (!only) { return; }
  document.querySelectorAll("body > *").forEach(function (node) {
    if (node.getAttribute("data-panel") !== only) { node.style.display = "none"; }
  });
}
window.addEventListener("load", function () { showOnly(); setTimeout(countMarks, 50); });
</script>
"""

STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; max-width: 1200px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 4px 10px; text-align: left; }
.empty { padding: 18px; background: #f6f6f6; border: 1px dashed #bbb; color: #555; }
.n, .note, .more { color: #555; font-size: 13px; } .caveat { color: #a04000; }
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


def panel_html(n: int, panel: Panel) -> str:
    """A panel's section: title, its n, and its chart, table or why there is none."""
    notes = "".join(f'<p class="note">{escape(note)}</p>' for note in panel.notes)
    if panel.figure is None and not panel.table:
        body = f'<div class="empty">{escape(panel.caveat or panel.empty_note)}</div>'
        body += "" if panel.caveat else notes  # a family not loaded explains the rest
    else:
        body = f'<p class="caveat">{escape(panel.caveat)}</p>' if panel.caveat else ""
        if panel.figure is not None:
            panel.figure.update_layout(height=420, margin=dict(t=30, l=70, r=20, b=60), showlegend=len(panel.figure.data) > 1)
            body += to_html(panel.figure, include_plotlyjs=False, full_html=False, div_id=f"chart-{n}")
        body += panel.table
        body += f'<p class="n">n = {panel.n:,} {escape(panel.n_label)}</p>'
        body += notes
    return (
        f'<section class="panel" data-panel="{escape(panel.key)}" data-title="{escape(panel.title)}"'
        f' data-n="{panel.n}" data-expected-marks="{panel.marks}"><h2>{escape(panel.title)}</h2>{body}</section>'
    )


def families_line(freshness: Rows, most: int = 3) -> str:
    """Each family's latest load in one line, for the page's header: `campaigns fresh;
    vitals fresh (acme), stale (globex)`, workspaces named up to `most` and counted beyond."""
    by_family: Dict[str, Dict[str, List[str]]] = {}
    for r in freshness:
        by_family.setdefault(str(r["family"]), {}).setdefault(str(r["freshness_status"]), []).append(str(r["workspace_label"]))
    if not by_family:
        return "No source has loaded yet."

    def workspaces(labels: List[str]) -> str:
        return ", ".join(labels) if len(labels) <= most else f"{len(labels)} workspaces"

    parts = [f"{family} {next(iter(statuses))}" if len(statuses) == 1 else
             f"{family} " + ", ".join(f"{status} ({workspaces(labels)})" for status, labels in sorted(statuses.items()))
             for family, statuses in by_family.items()]
    return f"Latest load of each family: {'; '.join(parts)} (why, in the freshness table below)."


def render(
    panel_list: Sequence[Panel], freshness: Rows, generated: date, source: str, workspace: Optional[str] = None,
) -> str:
    """The page: which warehouse it read and when that was loaded (`source`), each family's latest
    load, the review's panels, then freshness (what the numbers are as of, and why). `workspace`:
    the one client the page is about (its rows alone), named in its title."""
    title = "Weekly deliverability review" + (f" for {workspace}" if workspace else "")
    scope = (f" Only the rows of the workspace {workspace} (Campaign Cleaner's tests belong to no workspace and are"
             " not shown)." if workspace else "")
    return (
        f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
        f"<style>{STYLE}</style><script>{get_plotlyjs()}</script>{PROBE}</head><body>"
        f"<h1>{escape(title)}</h1><p id=\"source\">Built {generated.isoformat()} (UTC) from the analytics"
        f" marts of {escape(source)}; weeks are UTC weeks starting Monday.{escape(scope)}</p>"
        f'<p id="families">{escape(families_line(freshness))}</p>'
        f"{''.join(panel_html(n, p) for n, p in enumerate(panel_list))}"
        f'<section data-panel="freshness"><h2>Freshness</h2>{freshness_table(freshness)}</section>'
        '<pre id="report-errors" style="display:none"></pre></body></html>'
    )


@dataclass(frozen=True)
class Written:
    path: Path
    source: str
    """Which warehouse the page read, and when that was loaded (`marts.as_of`)."""


def write_report(warehouse: Warehouse, path: Path, today: date, workspace: Optional[str] = None) -> Written:
    """Reads the marts of `warehouse` (read-only) and writes the page to `path`: of every
    workspace, or of `workspace` (a label) alone, a page to forward to that client."""
    with reader(warehouse) as client:
        require_marts(client, warehouse)
        source = as_of(warehouse, loaded_at(client))

        def read(sql: str) -> Rows:
            return query(client, sql if workspace is None else scoped(sql, workspace))

        freshness = read(FRESHNESS)
        if workspace is not None and not freshness:
            known = ", ".join(sorted({str(r["workspace_label"]) for r in query(client, FRESHNESS)})) or "none yet"
            raise ConfigError(f"the warehouse has no workspace {workspace!r} (its workspaces: {known});"
                              " check --workspace")
        html = render(panels(read, freshness, today), freshness, today, source, workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return Written(path, source)
