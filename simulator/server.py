"""The simulator's HTTP side: auth, the workspace rate limit, faults, and a request log.

Runs as an aiohttp.web app, either in a background thread (`Simulator`, for tests, demo and
bench) or in the foreground (`python -m simulator`).
"""

import asyncio
import json
import random
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Deque, List, Optional, Tuple

import pendulum
from aiohttp import web
from pendulum import Date, DateTime

DEFAULT_API_KEY = "simulator-key"


@dataclass
class Faults:
    """Switchable misbehaviour. Rates are probabilities per request."""

    server_error_rate: float = 0.0  # answer 500/502/503
    throttle_rate: float = 0.0  # answer 429 (no Retry-After) although under the limit
    drop_rate: float = 0.0  # close the connection halfway through the body
    latency_s: Tuple[float, float] = (0.0, 0.0)  # uniform per request
    extra_field: bool = False  # add a field the spec does not know to analytics rows
    page_size: int = 100  # serve at most this many items per page, whatever `limit` says
    window_semantics: str = "calendar"  # how start_date/end_date select days: calendar|instant
    refuse_default_agents: bool = False  # the edge firewall: 403 "error code: 1010" to library agents
    missing_scope: str = ""  # the key lacks this scope (e.g. accounts:read): 403 on the endpoints needing it
    unpaid: bool = False  # the workspace has no paid plan: 402 on every endpoint
    no_placement_addon: bool = False  # no Inbox Placement add-on: 402 on /inbox-placement-*
    failing_path: str = ""  # every request under this path prefix answers 500, retries included


SCOPED_PATHS = {
    "accounts:read": "/api/v2/accounts",
    "campaigns:read": "/api/v2/campaigns",
    "inbox_placement_tests:read": "/api/v2/inbox-placement-tests",
    "inbox_placement_analytics:read": "/api/v2/inbox-placement-analytics",
    "inbox_placement_reports:read": "/api/v2/inbox-placement-reports",
    "workspaces:read": "/api/v2/workspaces",
    "custom_tags:read": "/api/v2/custom-tags",
    "custom_tag_mappings:read": "/api/v2/custom-tag-mappings",
}
"""Where each scope the simulator can withhold applies (a path prefix)."""

PLACEMENT_PATHS = "/api/v2/inbox-placement-"
"""The Inbox Placement add-on's endpoints (tests, analytics, reports, ESP options)."""

DEFAULT_LIBRARY_AGENT = re.compile(r"^(python|aiohttp|curl|go-http-client|okhttp|node-fetch|axios)", re.I)
"""User-Agents of HTTP libraries left at their defaults (`Python/3.11 aiohttp/3.9`,
`Python-urllib/3.11`, `python-requests/2.32`, `python-httpx/0.27`), or none at all."""


def parse_faults(text: str, base: Optional[Faults] = None) -> Faults:
    """`name=value,...` (the simulator CLI's `--faults`) as Faults, on top of `base` (a copy of
    it: a workspace's own faults over every workspace's); unknown names are an error."""
    faults = replace(base) if base is not None else Faults()
    types = {f.name: f.type for f in fields(Faults)}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in types:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(types)}")
        kind = types[name]
        if kind in (bool, "bool"):
            setattr(faults, name, value.strip().lower() in ("1", "true", "yes"))
        elif kind in (int, "int"):
            setattr(faults, name, int(value))
        elif kind in (float, "float"):
            setattr(faults, name, float(value))
        elif name == "latency_s":
            low, _, high = value.partition(":")
            setattr(faults, name, (float(low), float(high or low)))
        else:
            setattr(faults, name, value.strip())
    return faults


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: List[Tuple[str, str]]
    status: int
    body: Any = None

    def param(self, name: str) -> Optional[str]:
        return next((v for k, v in self.query if k == name), None)


@dataclass
class WorkspaceLimit:
    """Instantly's workspace budget: `per_second` (token bucket) and 6,000 per minute."""

    per_second: float = 100.0
    per_minute: int = 6000
    _tokens: float = field(default=0.0, init=False)
    _stamp: float = field(default=0.0, init=False)
    _minute: Deque[float] = field(default_factory=deque, init=False)

    def __post_init__(self) -> None:
        self._tokens = self.per_second
        self._stamp = time.monotonic()

    def admit(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.per_second, self._tokens + (now - self._stamp) * self.per_second)
        self._stamp = now
        while self._minute and self._minute[0] <= now - 60:
            self._minute.popleft()
        if self._tokens < 1 or len(self._minute) >= self.per_minute:
            return False
        self._tokens -= 1
        self._minute.append(now)
        return True


class BadRequest(ValueError):
    """Raised by a route to answer 400 with the API's error envelope and this message."""


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


async def json_body(request: web.Request) -> dict:
    """A POST's JSON object; a body that is not JSON is the API's 400, one that is no object is
    read as empty (the route then names the field it misses)."""
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError:
        raise BadRequest("body must be JSON") from None
    return body if isinstance(body, dict) else {}


def error_body(status: int, error: str, message: str) -> web.Response:
    return web.json_response({"statusCode": status, "error": error, "message": message}, status=status)


class SimulatorState:
    """What every API's routes share: the key, the limit, the faults and the log."""

    def __init__(self, api_key: str = DEFAULT_API_KEY, rate_limit: float = 100.0, seed: int = 7):
        self.api_key = api_key
        self.limit = WorkspaceLimit(per_second=rate_limit)
        self.faults = Faults()
        self.log: List[LoggedRequest] = []
        self.rng = random.Random(seed)

    def reset(self, **faults: Any) -> None:
        """Forget the log, refill the workspace budget and set faults (the rest back to defaults)."""
        self.log.clear()
        self.limit = WorkspaceLimit(per_second=self.limit.per_second, per_minute=self.limit.per_minute)
        self.faults = Faults(**faults)

    def with_new_field(self, row: dict) -> dict:
        """A row as the API may send it tomorrow: with a field the spec does not know yet."""
        return dict(row, sim_new_metric=1) if self.faults.extra_field else row

    def requests(self, path: Optional[str] = None, method: str = "GET") -> List[LoggedRequest]:
        return [r for r in self.log if (path is None or r.path == path) and r.method == method]


def make_middleware(state: SimulatorState, authorize: Callable[[web.Request], Optional[web.Response]]):
    """Applies, in order: the request log, latency, the rate limit, auth, injected faults."""

    @web.middleware
    async def middleware(request: web.Request, handler):
        entry = LoggedRequest(request.method, request.path, list(request.query.items()), 0)
        if request.can_read_body:
            try:
                entry.body = json.loads(await request.read())
            except ValueError:
                entry.body = None
        state.log.append(entry)
        f = state.faults
        if f.refuse_default_agents and DEFAULT_LIBRARY_AGENT.match(request.headers.get("User-Agent") or "python"):
            entry.status = 403
            return web.Response(status=403, text="error code: 1010", content_type="text/html")
        if not state.limit.admit() or state.rng.random() < f.throttle_rate:
            entry.status = 429
            return error_body(429, "Too Many Requests", "Rate limit exceeded")
        low, high = f.latency_s
        if high > 0:
            await asyncio.sleep(state.rng.uniform(low, high))
        denied = authorize(request)
        if denied is None and f.unpaid and request.path.startswith("/api/v2/"):
            denied = error_body(402, "Payment Required", "Workspace does not have an active paid plan")
        if denied is None and f.no_placement_addon and request.path.startswith(PLACEMENT_PATHS):
            denied = error_body(
                402, "Payment Required", "You have reached the limit of free inbox placement tests. Please upgrade your plan"
            )
        if denied is None and f.missing_scope and request.path.startswith(SCOPED_PATHS.get(f.missing_scope, "//")):
            denied = error_body(403, "Forbidden", f"API key does not have the required scope: {f.missing_scope}")
        if denied is None and f.failing_path and request.path.startswith(f.failing_path):
            denied = error_body(500, "Internal Server Error", "Something went wrong")
        if denied is not None:
            entry.status = denied.status
            return denied
        if state.rng.random() < f.server_error_rate:
            status = state.rng.choice([500, 502, 503])
            entry.status = status
            return error_body(status, "Internal Server Error", "Something went wrong")
        try:
            response = await handler(request)
        except BadRequest as exc:
            response = error_body(400, "Bad Request", str(exc))
        entry.status = response.status
        if state.rng.random() < f.drop_rate and isinstance(response, web.Response):
            return await drop_mid_body(request, response)
        return response

    return middleware


async def drop_mid_body(request: web.Request, response: web.Response) -> web.StreamResponse:
    """Sends the headers and half the body, then cuts the connection."""
    body = response.body or b""
    partial = web.StreamResponse(status=response.status, headers={"Content-Type": "application/json"})
    partial.content_length = len(body)
    await partial.prepare(request)
    await partial.write(body[: len(body) // 2])
    request.transport.close()
    return partial


def page_of(
    request: web.Request, items: List[dict], faults: Faults, cursor: Callable[[dict], str] = lambda item: item["id"]
) -> dict:
    """A cursor page the way the API serves one: `limit` 1-100, `starting_after` an item's cursor
    (its id, or what `cursor` makes of it), at most `faults.page_size` items, and a cursor on
    every non-empty page (the last included)."""
    try:
        limit = int(request.query.get("limit", "10"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise BadRequest("querystring/limit must be <= 100")
    after = request.query.get("starting_after")
    if after:
        ids = [cursor(item) for item in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    chunk = items[: min(limit, faults.page_size)]
    body: dict = {"items": chunk}
    if chunk:
        body["next_starting_after"] = cursor(chunk[-1])
    return body


def json_response(payload: Any) -> web.Response:
    return web.Response(body=json.dumps(payload).encode(), content_type="application/json")


class Simulator:
    """Serves an app on 127.0.0.1 from a background thread: `with Simulator(app) as sim`."""

    def __init__(self, app: web.Application, port: int = 0) -> None:
        self.app = app
        self.port = port
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: Optional[web.AppRunner] = None

    def __enter__(self) -> "Simulator":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    def __exit__(self, *exc: Any) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    """A loopback port free right now (for a server started in another process)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
