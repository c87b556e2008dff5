"""Routes of the fake Instantly workspace and campaign endpoints, serving a `Workspace`."""

from typing import List

import pendulum
from aiohttp import web
from pendulum import Date

from simulator.server import BadRequest, SimulatorState, json_response, page_of, parse_instant
from simulator.workspace import Workspace


def window_days(ws: Workspace, request: web.Request, semantics: str) -> List[Date]:
    """The workspace days a request's `start_date`/`end_date` select.

    `calendar`: every day from start's UTC date to end's UTC date, both included.
    `instant`: only days lying wholly inside [start, end] compared as instants.
    """
    start_raw, end_raw = request.query.get("start_date"), request.query.get("end_date")
    start = parse_instant(start_raw) if start_raw else None
    end = parse_instant(end_raw) if end_raw else None
    if start and end and start >= end:
        raise BadRequest("Start Date must be earlier than End Date")
    days = []
    for day in ws.days():
        midnight = pendulum.datetime(day.year, day.month, day.day, tz="UTC")
        if semantics == "calendar":
            inside = (not start or start.date() <= day) and (not end or day <= end.date())
        else:
            inside = (not start or start <= midnight) and (
                not end or midnight.add(days=1).subtract(microseconds=1000) <= end
            )
        if inside:
            days.append(day)
    return days


def add_campaign_routes(app: web.Application, ws: Workspace, state: SimulatorState) -> None:
    """Instantly's campaign list and campaign analytics endpoints."""

    async def list_campaigns(request: web.Request) -> web.Response:
        listed = [ws.campaign(c) for c in ws.campaigns if c.listed]
        return json_response(page_of(request, listed, state.faults))

    async def campaign_analytics(request: web.Request) -> web.Response:
        days = window_days(ws, request, state.faults.window_semantics)
        ids = request.query.getall("ids", []) or (
            [request.query["id"]] if "id" in request.query else [c.id for c in ws.campaigns]
        )
        rows = [ws.analytics_row(cid, days) for cid in ids if cid in ws.by_id]
        return json_response([state.with_new_field(r) for r in rows if r is not None])

    async def daily(request: web.Request) -> web.Response:
        days = window_days(ws, request, state.faults.window_semantics)
        cid = request.query.get("campaign_id")
        rows = [ws.daily_row(cid, day) for day in days] if cid else []
        return json_response([state.with_new_field(r) for r in rows if r is not None])

    async def steps(request: web.Request) -> web.Response:
        days = window_days(ws, request, state.faults.window_semantics)
        cid = request.query.get("campaign_id", "")
        with_opps = request.query.get("include_opportunities_count") == "true"
        return json_response([state.with_new_field(r) for r in ws.steps(cid, days, with_opps)])

    async def overview(request: web.Request) -> web.Response:
        days = window_days(ws, request, state.faults.window_semantics)
        ids = request.query.getall("ids", []) or (
            [request.query["id"]] if "id" in request.query else [c.id for c in ws.campaigns]
        )
        return json_response(state.with_new_field(ws.overview([i for i in ids if i in ws.by_id], days)))

    async def current_workspace(request: web.Request) -> web.Response:
        return json_response(ws.workspace())

    app.router.add_get("/api/v2/workspaces/current", current_workspace)
    app.router.add_get("/api/v2/campaigns", list_campaigns)
    app.router.add_get("/api/v2/campaigns/analytics", campaign_analytics)
    app.router.add_get("/api/v2/campaigns/analytics/daily", daily)
    app.router.add_get("/api/v2/campaigns/analytics/steps", steps)
    app.router.add_get("/api/v2/campaigns/analytics/overview", overview)
