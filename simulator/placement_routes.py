"""Routes of the fake Instantly inbox-placement endpoints, serving a `PlacementWorkspace`."""

from typing import List, Optional

from aiohttp import web
from pendulum import DateTime

from simulator.placement import SEEDS, PlacementWorkspace
from simulator.server import (
    BadRequest,
    SimulatorState,
    error_body,
    json_body,
    json_response,
    page_of,
    parse_instant,
)


class NotFound(Exception):
    pass


def add_placement_routes(app: web.Application, pw: PlacementWorkspace, state: SimulatorState) -> None:
    def window(source) -> tuple:
        start = parse_instant(source["date_from"]) if source.get("date_from") else None
        end = parse_instant(source["date_to"]) if source.get("date_to") else None
        if start and end and start > end:
            raise BadRequest("date_from must be earlier than date_to")
        return start, end

    def within(record: dict, start: Optional[DateTime], end: Optional[DateTime]) -> bool:
        at = parse_instant(record["timestamp_created"])
        return (start is None or at >= start) and (end is None or at <= end)

    def codes(value) -> Optional[List[int]]:
        """A filter as the API takes it: comma-separated in a query, a number array in a body."""
        if value in (None, "", []):
            return None
        if isinstance(value, str):
            try:
                return [int(v) for v in value.split(",")]
            except ValueError:
                raise BadRequest(f"invalid filter value: {value}") from None
        return [int(v) for v in value]

    def matches(record: dict, source) -> bool:
        for name in ("recipient_geo", "recipient_type", "recipient_esp"):
            wanted = codes(source.get(name))
            if wanted is not None and record.get(name) not in wanted:
                return False
        sender = source.get("sender_email")
        return not sender or record.get("sender_email") == sender

    def test_or_404(request: web.Request) -> str:
        test_id = request.query.get("test_id")
        if not test_id:
            raise BadRequest("querystring must have required property 'test_id'")
        if test_id not in pw.by_id:
            raise NotFound()
        return test_id

    def not_found() -> web.Response:
        return error_body(404, "Not Found", "Inbox placement test not found")

    async def list_tests(request: web.Request) -> web.Response:
        items = [pw.test_object(t) for t in pw.tests if t.id not in pw.deleted]
        if request.query.get("sort_order") == "desc":
            items.reverse()
        return json_response(page_of(request, items, state.faults))

    async def esp_options(request: web.Request) -> web.Response:
        labels = {(s.region, s.sub_region, s.type_label, s.esp_label) for s in SEEDS}
        return json_response(
            [{"region": r, "sub_region": sr, "type": t, "esp": e} for r, sr, t, e in sorted(labels)]
        )

    async def list_records(request: web.Request) -> web.Response:
        try:
            test_id = test_or_404(request)
        except NotFound:
            return not_found()
        start, end = window(request.query)
        records = [
            r for r in pw.all_records(test_id) if within(r, start, end) and matches(r, request.query)
        ]
        return json_response(page_of(request, records, state.faults))

    async def stats(request: web.Request) -> web.Response:
        body = await json_body(request)
        test_ids = body.get("test_ids")
        if not isinstance(test_ids, list) or not test_ids:
            raise BadRequest("body/test_ids must NOT have fewer than 1 items")
        start, end = window(body)
        records = (
            r
            for test_id in test_ids
            if test_id in pw.by_id
            for r in pw.all_records(test_id)
            if within(r, start, end) and matches(r, body)
        )
        return json_response([state.with_new_field(row) for row in pw.stats(test_ids, records)])

    async def list_reports(request: web.Request) -> web.Response:
        try:
            test_id = test_or_404(request)
        except NotFound:
            return not_found()
        start, end = window(request.query)
        reports = [r for r in pw.reports(test_id) if within(r, start, end)]
        return json_response(page_of(request, reports, state.faults))

    app.router.add_get("/api/v2/inbox-placement-tests/email-service-provider-options", esp_options)
    app.router.add_get("/api/v2/inbox-placement-tests", list_tests)
    app.router.add_get("/api/v2/inbox-placement-analytics", list_records)
    app.router.add_post("/api/v2/inbox-placement-analytics/stats-by-test-id", stats)
    app.router.add_get("/api/v2/inbox-placement-reports", list_reports)
