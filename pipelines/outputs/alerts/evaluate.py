"""One evaluation of the alerts: what the rules find now against what is open, the events that
opens and resolves, and every event a destination has not taken yet, sent and recorded."""

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional, Set, Tuple

import pendulum

from pipelines.common.dates import utc_today
from pipelines.engine.explain import explain
from pipelines.engine.warehouse import Warehouse
from pipelines.outputs.alerts import destinations, state
from pipelines.outputs.alerts.destinations import DeliveryFailed, Event, Send
from pipelines.outputs.alerts.rules import RULES, Finding, rows_of
from pipelines.outputs.alerts.settings import rule_settings
from pipelines.outputs.marts import as_of, loaded_at, query, reader, require_marts

TITLES = {rule.name: rule.title for rule in RULES}


@dataclass
class AlertOutcome:
    """What one evaluation opened, resolved and sent."""

    opened: List[Event] = field(default_factory=list)
    resolved: List[Event] = field(default_factory=list)
    open_count: int = 0
    sent: Dict[str, int] = field(default_factory=dict)
    """Events each destination took."""
    failed: Dict[str, str] = field(default_factory=dict)
    """Why each destination that did not take its events did not (no secret in it)."""
    waiting: Dict[str, int] = field(default_factory=dict)
    """Events left for a later run, per failed destination."""
    destinations: List[str] = field(default_factory=list)
    """The destinations configured."""
    source: str = ""
    """Which warehouse the rules read, and when it was loaded (`marts.as_of`)."""

    def line(self, dry_run: bool = False, named: bool = False) -> str:
        """`alerts: 2 opened, 0 resolved (5 open); sent: slack 2`; `named`: with the warehouse read
        (the `alerts` command's line)."""
        news = f"{len(self.opened)} opened, {len(self.resolved)} resolved" if self.opened or self.resolved else "nothing new"
        where = ", ".join(f"{name} {n}" for name, n in self.sent.items() if n)
        verb = "would send" if dry_run else "sent"
        tail = f"; {verb}: {where}" if where else ("" if self.destinations else "; no destination set")
        return f"alerts: {news} ({self.open_count} open){tail}{f'; from {self.source}' if named else ''}"

    def notices(self) -> List[str]:
        return [f"alerts to {name} failed ({why}): {self.waiting[name]} kept for the next run"
                for name, why in self.failed.items()]


def findings(
    client: Any, now: datetime, stored: Dict[state.AlertKey, Dict[str, Any]]
) -> Tuple[Dict[state.AlertKey, Finding], Set[str]]:
    """What every enabled rule finds in the marts now, for the subjects it covers; and the rules
    that were evaluated (a switched-off rule neither opens nor resolves anything). `stored`: the
    open alerts, which a rule's patterns must still be able to cover."""
    found: Dict[state.AlertKey, Finding] = {}
    evaluated: Set[str] = set()
    for rule in RULES:
        settings = rule_settings(rule)
        if not settings.enabled:
            continue
        evaluated.add(rule.name)
        rows = rows_of(rule, lambda sql: query(client, sql), utc_today(), now, settings.min_n)
        breaching = rule.findings(rows, settings.threshold, settings.min_n)
        settings.check_covers(breaching, [(workspace, subject) for (workspace, name, subject) in stored if name == rule.name])
        for finding in breaching:
            if settings.covers(finding):
                found[finding.key] = finding
    return found, evaluated


def event(kind: str, finding: Finding, first_seen_at: str, resolved_at: Optional[str] = None) -> Event:
    return Event(**vars(finding), kind=kind, title=TITLES.get(finding.rule, finding.rule), first_seen_at=first_seen_at,
                 resolved_at=resolved_at)


def stored_finding(row: Dict[str, Any]) -> Finding:
    return Finding(row["workspace_label"], row["rule"], row["subject"], row["figure"], row["threshold"], row["n"],
                   row["detail"], row["mart_row"])


def state_row(finding: Finding, status: str, first_seen: Any, last_seen: Any, resolved: Any = None) -> Dict[str, Any]:
    return {"workspace_label": finding.workspace, "rule": finding.rule, "subject": finding.subject, "status": status,
            "first_seen_at": first_seen, "last_seen_at": last_seen, "resolved_at": resolved, "figure": finding.figure,
            "threshold": finding.threshold, "n": finding.n, "detail": finding.text, "mart_row": finding.mart_row}


def iso(value: Any) -> str:
    return pendulum.instance(value).in_tz("UTC").isoformat() if isinstance(value, datetime) else str(value)


def transitions(current: Dict[state.AlertKey, Finding], evaluated: Set[str], stored: Dict[state.AlertKey, Dict[str, Any]],
                now: datetime, outcome: "AlertOutcome") -> List[Dict[str, Any]]:
    """The alert rows to write: those found again (last seen now), those opening, and open ones no
    longer found (resolved) among the rules evaluated; the events go into `outcome`."""
    rows: List[Dict[str, Any]] = []
    for key, finding in current.items():
        if key in stored:
            rows.append(state_row(finding, "open", stored[key]["first_seen_at"], now))
        else:
            rows.append(state_row(finding, "open", now, now))
            outcome.opened.append(event("opened", finding, iso(now)))
    for key, row in stored.items():
        if key not in current and row["rule"] in evaluated:
            gone = stored_finding(row)
            rows.append(state_row(gone, "resolved", row["first_seen_at"], row["last_seen_at"], now))
            outcome.resolved.append(event("resolved", gone, iso(row["first_seen_at"]), iso(now)))
    return rows


def delivery_row(e: Event, destination: str, now: datetime) -> Dict[str, Any]:
    return {"workspace_label": e.workspace, "rule": e.rule, "subject": e.subject, "first_seen_at": e.first_seen_at,
            "kind": e.kind, "destination": destination, "event": json.dumps(e.payload(), default=str),
            "created_at": now, "sent_at": None, "attempt_count": 0, "last_error": None}


def deliver(targets: Dict[str, Send], deliveries: List[Dict[str, Any]], now: datetime, dry_run: bool,
            outcome: "AlertOutcome") -> None:
    """Sends each destination its waiting events in one message, and marks them sent, or counts
    the attempt and why it failed (they wait for the next run)."""
    for name, send in targets.items():
        mine = [d for d in deliveries if d["destination"] == name]
        if not mine:
            continue
        events = [Event(**{k: v for k, v in state.event_of(d).items() if k != "message"}) for d in mine]
        if dry_run:
            outcome.sent[name] = len(events)
            continue
        try:
            send(events, outcome.source)
        except DeliveryFailed as exc:
            outcome.failed[name], outcome.waiting[name] = str(exc), len(events)
            for d in mine:
                d.update(attempt_count=int(d["attempt_count"] or 0) + 1, last_error=str(exc))
            continue
        outcome.sent[name] = len(events)
        for d in mine:
            d.update(sent_at=now, attempt_count=int(d["attempt_count"] or 0) + 1, last_error=None)


def run_alerts(warehouse: Warehouse, dry_run: bool = False) -> AlertOutcome:
    """Evaluates the rules on `warehouse`'s marts, records what opened and resolved, and sends
    every event a destination has not taken yet (this run's and earlier runs' undelivered ones).
    `dry_run`: the same decisions, nothing sent or written."""
    now = pendulum.now("UTC")
    targets = destinations.configured()
    if not dry_run:
        state.settle(warehouse)
    with reader(warehouse) as client:
        require_marts(client, warehouse)
        stored = state.open_alerts(client)
        current, evaluated = findings(client, now, stored)
        source = as_of(warehouse, loaded_at(client))
        waiting = state.pending_deliveries(client)
    outcome = AlertOutcome(open_count=len(current), destinations=list(targets), source=source)
    rows = transitions(current, evaluated, stored, now, outcome)
    deliveries = [{k: v for k, v in d.items() if not k.startswith("_dlt")} for d in waiting if d["destination"] in targets]
    deliveries += [delivery_row(e, name, now) for e in outcome.opened + outcome.resolved for name in targets]
    deliver(targets, deliveries, now, dry_run, outcome)
    if not dry_run:
        try:
            state.save(warehouse, rows, deliveries)
        except Exception as exc:
            raise state.NotWritten(explain(exc)) from exc
    return outcome
