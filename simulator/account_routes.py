"""Routes of the fake Instantly account endpoints, serving an `AccountsWorkspace`, with the
limits the real API enforces: 1-200 `emails` and at most 31 days for daily analytics, 1-100
emails for warmup analytics."""

from collections import defaultdict
from typing import List

from aiohttp import web

from simulator.accounts import AccountsWorkspace
from simulator.server import BadRequest, SimulatorState, json_body, json_response, page_of, parse_instant

MAX_DAILY_EMAILS = 200
MAX_DAILY_DAYS = 31
MAX_WARMUP_EMAILS = 100


def add_account_routes(app: web.Application, aw: AccountsWorkspace, state: SimulatorState) -> None:
    async def list_accounts(request: web.Request) -> web.Response:
        items = [aw.account(a) for a in aw.listed()]
        return json_response(page_of(request, items, state.faults, cursor=lambda a: f"{a['timestamp_created']}&{a['email']}"))

    async def daily(request: web.Request) -> web.Response:
        emails: List[str] = request.query.getall("emails", [])
        if not emails:
            raise BadRequest("querystring must have required property 'emails'")
        if len(emails) > MAX_DAILY_EMAILS:
            raise BadRequest(f"querystring/emails must NOT have more than {MAX_DAILY_EMAILS} items")
        start = parse_instant(request.query.get("start_date") or aw.today.subtract(days=29).isoformat())
        end = parse_instant(request.query.get("end_date") or aw.today.isoformat())
        if start >= end:
            raise BadRequest("Start Date must be earlier than End Date")
        if (end.date() - start.date()).days + 1 > MAX_DAILY_DAYS:
            raise BadRequest(f"The date range cannot exceed {MAX_DAILY_DAYS} days")
        days = [d for d in aw.days() if start.date() <= d <= end.date()]
        known = [e for e in dict.fromkeys(emails) if e in aw.by_email and aw.by_email[e].listed]
        rows = [aw.daily(e, d) for d in days for e in known]
        return json_response([state.with_new_field(r) for r in rows if r is not None])

    async def warmup(request: web.Request) -> web.Response:
        emails = (await json_body(request)).get("emails")
        if not isinstance(emails, list) or not emails:
            raise BadRequest("body must have required property 'emails'")
        if len(emails) > MAX_WARMUP_EMAILS:
            raise BadRequest(f"body/emails must NOT have more than {MAX_WARMUP_EMAILS} items")
        known = [e for e in dict.fromkeys(emails) if e in aw.by_email and aw.by_email[e].listed]
        return json_response({
            "email_date_data": {e: {d.isoformat(): aw.warmup(e, d) for d in aw.warmup_days()} for e in known},
            "aggregate_data": {e: aw.health(e) for e in known},
        })

    async def vitals(request: web.Request) -> web.Response:
        accounts = (await json_body(request)).get("accounts") or [a.email for a in aw.listed()]
        domains = defaultdict(list)
        for email in accounts:
            if email in aw.by_email:
                domains[aw.by_email[email].domain].append(email)
        results = [aw.vitals(domain) for domain in sorted(domains)]
        return json_response({
            "status": "success",
            "success_list": [r for r in results if r["allPass"]],
            "failure_list": [r for r in results if not r["allPass"]],
        })

    app.router.add_get("/api/v2/accounts", list_accounts)
    app.router.add_get("/api/v2/accounts/analytics/daily", daily)
    app.router.add_post("/api/v2/accounts/warmup-analytics", warmup)
    app.router.add_post("/api/v2/accounts/test/vitals", vitals)
