"""Routes of the fake Instantly API v2, serving a `Workspace`."""

from typing import List, Optional

import pendulum
from aiohttp import web
from pendulum import Date, DateTime

from pipelines.simulator.server import (
    BadRequest,
    SimulatorState,
    error_body,
    json_response,
    make_middleware,
    page_of,
)
from pipelines.simulator.campaign_cleaner import CleanerWorkspace, add_cleaner_routes, cleaner_authorize
from pipelines.simulator.placement import PlacementWorkspace
from pipelines.simulator.workspace import Workspace


def parse_instant(value: str) -> DateTime:
    """A `start_date`/`end_date` value: a date means UTC midnight, else an ISO timestamp."""
    try:
        parsed = pendulum.parse(value)
    except ValueError:
        raise BadRequest(f"Invalid date: {value}") from None
    if isinstance(parsed, DateTime):
        return parsed.in_timezone("UTC")
    if isinstance(parsed, Date):
        return pendulum.datetime(parsed.year, parsed.month, parsed.day, tz="UTC")
    raise BadRequest(f"Invalid date: {value}")


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


def instantly_app(
    ws: Workspace,
    state: SimulatorState,
    placement: Optional[PlacementWorkspace] = None,
    cleaner: Optional[CleanerWorkspace] = None,
) -> web.Application:
    """The aiohttp app serving the endpoints the pipeline reads (Campaign Cleaner's under /v1/)."""

    def authorize(request: web.Request) -> Optional[web.Response]:
        if request.path.startswith("/v1/") and cleaner is not None:
            return cleaner_authorize(cleaner, request)
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return error_body(401, "Unauthorized", "Missing Authorization header")
        if header[len("Bearer "):] != state.api_key:
            return error_body(401, "Unauthorized", "Invalid API key")
        return None

    async def list_campaigns(request: web.Request) -> web.Response:
        listed = [ws.campaign(c) for c in ws.campaigns if c.listed]
        return json_response(page_of(request, listed, state.faults))

    async def campaign_analytics(request: web.Request) -> web.Response:
        window_days(ws, request, state.faults.window_semantics)
        ids = request.query.getall("ids", []) or (
            [request.query["id"]] if "id" in request.query else [c.id for c in ws.campaigns]
        )
        rows = [ws.lifetime(cid) for cid in ids if cid in ws.by_id]
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

    app = web.Application(middlewares=[make_middleware(state, authorize)])
    app.router.add_get("/api/v2/campaigns", list_campaigns)
    app.router.add_get("/api/v2/campaigns/analytics", campaign_analytics)
    app.router.add_get("/api/v2/campaigns/analytics/daily", daily)
    app.router.add_get("/api/v2/campaigns/analytics/steps", steps)
    app.router.add_get("/api/v2/campaigns/analytics/overview", overview)
    if placement is not None:
        from pipelines.simulator.placement_routes import add_placement_routes

        add_placement_routes(app, placement, state)
    if cleaner is not None:
        add_cleaner_routes(app, cleaner, state)
    return app
