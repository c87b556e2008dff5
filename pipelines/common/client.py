"""The one async HTTP client every source uses: auth, budget, concurrency, retries, clear errors."""

import asyncio
import json
import logging
import re
import socket
from importlib.metadata import version as package_version
from types import TracebackType
from typing import Any, Mapping, Optional, Sequence, Tuple, Type, Union
from urllib.parse import urlsplit

import aiohttp

from pipelines.common.errors import ApiError, ConfigError, Interrupted
from pipelines.common.rate_limit import API_LIMIT, RateLimiter, SharedBudget
from pipelines.common.retry import DEFAULT_RETRY, RetryPolicy, is_retryable_status
from pipelines.common.tracking import CURRENT_RESOURCE, RequestStats

log = logging.getLogger(__name__)

USER_AGENT = f"deliverability-elt/{package_version('deliverability-elt')}"
"""Sent on every request: Instantly's edge firewall refuses HTTP libraries' default agents."""
FIREWALL_PAGE = re.compile(rb"error code: 1010")

QueryValue = Union[str, int, float, bool]
Query = Union[Mapping[str, Any], Sequence[Tuple[str, QueryValue]]]


def _query_items(params: Optional[Query]) -> list:
    """Flattens params into (name, value) pairs: a list value repeats the name (`ids=a&ids=b`)."""
    if params is None:
        return []
    pairs = params.items() if isinstance(params, Mapping) else params
    items = []
    for name, value in pairs:
        for one in value if isinstance(value, (list, tuple)) else [value]:
            if one is None:
                continue
            items.append((name, str(one).lower() if isinstance(one, bool) else str(one)))
    return items


class ApiClient:
    """An aiohttp client for one API, shared by every resource of a run.

    `async with client:` opens the session on first entry and closes it on the last exit, so
    the resources that dlt runs concurrently on its event loop share one session.
    """

    def __init__(
        self,
        service: str,
        base_url: str,
        headers: Mapping[str, str],
        limiter: RateLimiter,
        max_concurrency: int,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout_s: float = 60.0,
        key_hint: str = "",
        secret: str = "",
        stats: Optional[RequestStats] = None,
        scopes: Optional[Mapping[str, str]] = None,
        url_hint: str = "",
    ) -> None:
        self.service = service
        self.base_url = base_url.rstrip("/")
        self._url_hint = url_hint
        """What an unreachable host tells the user to check (the base URL's setting)."""
        self.limiter = limiter
        self.retry = retry
        self.stats = stats if stats is not None else RequestStats()
        self._headers = {"User-Agent": USER_AGENT, **headers}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._max_concurrency = max_concurrency
        self._key_hint = key_hint
        self._secret = secret
        self._scopes = dict(scopes or {})
        self._session: Optional[aiohttp.ClientSession] = None
        self._users = 0
        self._slots: Optional[asyncio.Semaphore] = None

    async def __aenter__(self) -> "ApiClient":
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._max_concurrency)
            self._session = aiohttp.ClientSession(
                headers=self._headers, timeout=self._timeout, connector=connector
            )
            self._slots = asyncio.Semaphore(self._max_concurrency)
        self._users += 1
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self._users -= 1
        if self._users == 0 and self._session is not None:
            # forgotten before the await: a resource entering while it closes opens a new one
            session, self._session = self._session, None
            await session.close()

    async def get(self, path: str, params: Optional[Query] = None) -> Any:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, body: Any) -> Any:
        return await self.request("POST", path, body=body)

    async def request(
        self, method: str, path: str, params: Optional[Query] = None, body: Any = None
    ) -> Any:
        """Sends one request, retrying transient failures, and returns the decoded JSON body."""
        if self._session is None:
            raise RuntimeError("use the client inside `async with client:`")
        url = self.base_url + path
        query = _query_items(params)
        endpoint = f"{self.service} {method} {path}"
        for attempt in range(1, self.retry.max_attempts + 1):
            if self.stats.stop.is_set():
                raise Interrupted(f"{endpoint}: not asked, the run was interrupted")
            retry_after: Optional[str] = None
            throttled = False
            assert self._slots is not None, "requests are made inside `async with client`"
            async with self._slots:
                await self.limiter.acquire()
                self.stats.asked(f"{method} {path}")
                try:
                    async with self._session.request(method, url, params=query, json=body) as resp:
                        raw = await resp.read()
                        status = resp.status
                        retry_after = resp.headers.get("Retry-After")
                    problem = f"HTTP {status}"
                    if status < 400:
                        try:
                            return json.loads(raw)
                        except ValueError:
                            problem = "a malformed (non-JSON or truncated) response body"
                    elif not is_retryable_status(status):
                        raise self._refusal(endpoint, path, status, raw) from None
                    else:
                        problem = f"HTTP {status} {_api_message(raw)}".strip()
                        throttled = status == 429
                        if throttled:
                            self.stats.throttled_by_resource[CURRENT_RESOURCE.get()] += 1
                except aiohttp.InvalidURL:  # asking again cannot fix an address
                    raise ConfigError(f"{endpoint}: {self.base_url!r} is not a usable http(s) URL. {self._url_hint}") from None
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    problem = self._unreachable(exc)
            if attempt == self.retry.max_attempts:
                break
            wait = self.retry.delay(attempt, retry_after)
            if throttled:
                self.limiter.pause(wait)
                if retry_after is None:  # the workspace's shared budget, not a stated wait
                    self.limiter.throttled()
            self.stats.retries_by_resource[CURRENT_RESOURCE.get()] += 1
            log.info("%s: %s, retry %d in %.1fs", endpoint, problem, attempt, wait)
            await asyncio.sleep(wait)
        hint = f". {self._url_hint}" if problem.startswith("cannot reach") and self._url_hint else ""
        raise ApiError(
            self._scrub(f"{endpoint} failed after {self.retry.max_attempts} attempts: {problem}{hint}")
        )

    def _unreachable(self, exc: BaseException) -> str:
        """A failed exchange in words, with the host when it could not be reached at all
        (`cannot reach api.instantly.ai:443 (name not known)`), never aiohttp's class name."""
        if isinstance(exc, asyncio.TimeoutError):
            return f"no answer within {self._timeout.total:.0f}s"
        if isinstance(exc, aiohttp.ClientConnectorError):
            os_error = exc.os_error
            if isinstance(exc, aiohttp.ClientConnectorCertificateError):
                cause = "its TLS certificate is not trusted"
            elif isinstance(os_error, socket.gaierror):
                cause = "name not known"
            elif isinstance(os_error, ConnectionRefusedError):
                cause = "connection refused"
            else:
                cause = (os_error.strerror or str(os_error)) if os_error else type(exc).__name__
            return f"cannot reach {exc.host}:{exc.port} ({cause.lower()})"
        if isinstance(exc, aiohttp.ServerDisconnectedError):
            return "the server closed the connection"
        if isinstance(exc, aiohttp.ClientPayloadError):
            return "the response was cut off"
        return (str(exc).splitlines() or [""])[0] or type(exc).__name__

    def _refusal(self, endpoint: str, path: str, status: int, raw: bytes) -> ApiError:
        """The error of an answer that retrying cannot change, with what to fix."""
        if status == 403 and FIREWALL_PAGE.search(raw[:2000]):
            return ApiError(
                f"{endpoint} was refused by the API's firewall (HTTP 403, error code 1010: it blocks"
                f" this client's User-Agent {USER_AGENT!r}, not the key): a proxy in between may be"
                " replacing the User-Agent header"
            )  # the edge's page, not the API's answer: no status, so never read as a missing scope
        message = _api_message(raw)
        line = f"{endpoint} failed: HTTP {status}" + (f" {message}" if message else "")
        scope = self.scope_of(path)
        if status == 403 and scope:
            line += f". The key needs the {scope} scope"
        if status in (401, 403) and self._key_hint:
            line += f". {self._key_hint}"
        return ApiError(self._scrub(line), status, scope)

    def scope_of(self, path: str) -> Optional[str]:
        """The read scope the reference names for `path` (analytics endpoints document none)."""
        return self._scopes.get(path)

    def _scrub(self, text: str) -> str:
        """Never let the secret reach a message, whatever an API echoes back."""
        return text.replace(self._secret, "***") if self._secret else text


def _api_message(raw: bytes) -> str:
    """The API's own words from an error body (`message`, else `error`), on one line."""
    try:
        body = json.loads(raw)
    except ValueError:
        return raw[:200].decode("utf-8", "replace").replace("\n", " ").strip()
    if isinstance(body, Mapping):
        text = body.get("message") or body.get("error") or ""
        return str(text).replace("\n", " ").strip()
    return ""


def make_client(
    *,
    section: str,
    service: str,
    base_url: str,
    auth: Mapping[str, str],
    secret: str,
    key_hint: str,
    max_requests_per_second: float,
    max_concurrency: int,
    stats: RequestStats,
    scopes: Optional[Mapping[str, str]] = None,
    budget: Optional[SharedBudget] = None,
    api_limit: float = API_LIMIT,
) -> ApiClient:
    """The client of one source (`sources.<section>` settings): its auth headers on its own
    budget, or on `budget` when other sources load the same account at once; a bad budget or
    concurrency is one line naming the variable. `api_limit`: the most the API admits a second."""
    prefix = f"SOURCES__{section.upper()}__"
    check_base_url(base_url, f"{prefix}BASE_URL")
    if int(max_concurrency) < 1:
        raise ConfigError(f"{prefix}MAX_CONCURRENCY must be 1 or more")
    try:
        rate = float(max_requests_per_second)
        limit = float(api_limit)
        limiter = budget.limiter(rate, limit) if budget is not None else RateLimiter(rate, limit=limit)
    except ValueError as exc:
        raise ConfigError(f"{prefix}MAX_REQUESTS_PER_SECOND: {exc}") from None
    return ApiClient(
        service, base_url, auth, limiter, int(max_concurrency), key_hint=key_hint, secret=secret, stats=stats,
        scopes=scopes, url_hint=f"Check {prefix}BASE_URL",
    )


def check_base_url(base_url: str, setting: str) -> None:
    """An address a request can go to (`https://host[:port][/path]`), or one line naming the
    setting before the first request: a URL without a scheme is no network failure to retry."""
    try:
        parts = urlsplit(str(base_url).strip())
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{setting}={base_url!r} is not an http(s) URL with a host name")
