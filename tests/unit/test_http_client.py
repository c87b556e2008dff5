"""The shared HTTP machinery: retries, clear errors, secrets, pagination, rate limiting."""

import asyncio

import pytest

from helpers import FAST, client_for
from pipelines.common.client import ApiClient, make_client
from pipelines.common.errors import ApiError, ConfigError
from pipelines.common.pagination import paginate
from pipelines.common.rate_limit import RateLimiter
from pipelines.common.retry import RetryPolicy
from pipelines.common.tracking import RequestStats
from pipelines.instantly import settings
from simulator.server import free_port

"""The fast tier (`make test-fast`): no warehouse is built here."""


async def fetch(client: ApiClient, path: str, params=None):
    async with client:
        return await client.get(path, params)


def test_list_params_repeat_the_name(sim):
    ids = [c.id for c in sim.workspace.campaigns[:3]]
    asyncio.run(fetch(client_for(sim), settings.CAMPAIGN_ANALYTICS, {"ids": ids}))
    assert [v for k, v in sim.state.log[-1].query if k == "ids"] == ids


def test_a_client_error_is_not_retried_and_names_endpoint_and_api_message(sim):
    client = client_for(sim)
    with pytest.raises(ApiError) as failure:
        asyncio.run(fetch(client, settings.CAMPAIGN_ANALYTICS_DAILY,
                          {"start_date": "2026-03-02", "end_date": "2026-03-01"}))
    assert str(failure.value) == (
        "Instantly GET /api/v2/campaigns/analytics/daily failed: HTTP 400 "
        "Start Date must be earlier than End Date"
    )
    assert len(sim.state.log) == 1


def test_an_auth_error_says_which_setting_to_fix_and_hides_the_key(sim):
    with pytest.raises(ApiError) as failure:
        asyncio.run(fetch(client_for(sim, key="secret-abc"), settings.CAMPAIGNS))
    message = str(failure.value)
    assert "HTTP 401" in message and "SOURCES__INSTANTLY__API_KEY" in message
    assert "secret-abc" not in message and "secret-abc" not in repr(failure.value)


def test_transient_failures_are_retried_until_an_answer(sim):
    sim.state.reset(server_error_rate=0.5, drop_rate=0.3)
    client = client_for(sim, retry=RetryPolicy(max_attempts=30, base_delay_s=0.01, max_delay_s=0.02))
    rows = asyncio.run(fetch(client, settings.CAMPAIGN_ANALYTICS))
    assert {r["campaign_id"] for r in rows} == {c.id for c in sim.workspace.campaigns if c.last_active}
    assert client.stats.retries == len(sim.state.log) - 1


def test_retries_stop_after_the_configured_attempts_with_one_line(sim):
    sim.state.reset(server_error_rate=1.0)
    with pytest.raises(ApiError) as failure:
        asyncio.run(fetch(client_for(sim), settings.CAMPAIGNS))
    assert len(sim.state.log) == FAST.max_attempts
    assert "failed after 3 attempts" in str(failure.value) and "\n" not in str(failure.value)


def test_retry_after_is_honoured_when_sent_and_backoff_grows_otherwise():
    policy = RetryPolicy(base_delay_s=1, max_delay_s=30)
    assert policy.delay(1, retry_after="7") == 7
    assert 0.5 <= policy.delay(1) <= 1
    assert 4 <= policy.delay(4) <= 8
    assert policy.delay(20) <= 30


def test_a_pause_pushes_back_every_later_request():
    async def scenario():
        limiter = RateLimiter(100)
        await limiter.acquire()
        limiter.pause(5)
        return limiter.delay()

    assert asyncio.run(scenario()) > 4


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_429_without_retry_after_cuts_the_rate_once_per_burst():
    clock = Clock()
    limiter = RateLimiter(30, clock=clock)
    limiter.throttled()
    limiter.throttled()  # answered together with the first: the same signal
    assert limiter.rate == pytest.approx(30 * 0.7)
    clock.now += 2
    limiter.throttled()
    assert limiter.rate == pytest.approx(30 * 0.7 * 0.7 + 30 * 0.02 * 2 * 0.7, rel=1e-6)


def test_the_rate_climbs_back_to_the_configured_budget_and_no_further():
    clock = Clock()
    limiter = RateLimiter(30, clock=clock)
    limiter.throttled()
    clock.now += 5
    assert limiter.rate_now() == pytest.approx(30 * 0.7 + 30 * 0.02 * 5)
    clock.now += 600
    assert limiter.rate_now() == 30


def test_the_rate_never_falls_below_its_floor():
    clock = Clock()
    limiter = RateLimiter(30, clock=clock)
    for _ in range(50):
        clock.now += 1.5
        limiter.throttled()
    assert limiter.rate >= 30 * 0.05


def test_the_budget_must_respect_the_workspace_limit():
    with pytest.raises(ValueError):
        RateLimiter(101)


class PagedClient:
    """Serves canned pages by cursor, recording the cursors asked for."""

    def __init__(self, pages):
        self.pages = pages
        self.asked = []

    async def get(self, path, params):
        self.asked.append(params.get("starting_after"))
        return self.pages[params.get("starting_after")]


def collect(client):
    async def run():
        return [item async for page in paginate(client, "/x") for item in page]
    return asyncio.run(run())


def test_pagination_follows_short_pages_until_an_empty_one():
    client = PagedClient({None: {"items": [1], "next_starting_after": "a"},
                          "a": {"items": [2, 3], "next_starting_after": "b"},
                          "b": {"items": [], "next_starting_after": "c"}})
    assert collect(client) == [1, 2, 3]
    assert client.asked == [None, "a", "b"]


def test_pagination_stops_without_a_cursor():
    client = PagedClient({None: {"items": [1]}})
    assert collect(client) == [1]


def test_pagination_stops_on_a_cursor_seen_before():
    client = PagedClient({None: {"items": [1], "next_starting_after": "a"},
                          "a": {"items": [2], "next_starting_after": "a"}})
    assert collect(client) == [1, 2]
    assert client.asked == [None, "a"]


def instantly_client(base_url: str) -> ApiClient:
    client = make_client(
        section="instantly", service="Instantly", base_url=base_url, auth={}, secret="", key_hint="",
        max_requests_per_second=100, max_concurrency=2, stats=RequestStats(),
    )
    client.retry = FAST
    return client


def test_a_host_that_refuses_connections_is_named_with_the_cause_and_the_setting():
    port = free_port()
    with pytest.raises(ApiError) as failure:
        asyncio.run(fetch(instantly_client(f"http://127.0.0.1:{port}"), settings.CAMPAIGNS))
    assert str(failure.value) == (
        f"Instantly GET {settings.CAMPAIGNS} failed after {FAST.max_attempts} attempts: cannot reach 127.0.0.1:{port}"
        " (connection refused). Check SOURCES__INSTANTLY__BASE_URL"
    )


def test_a_host_name_that_does_not_resolve_says_name_not_known():
    with pytest.raises(ApiError) as failure:
        asyncio.run(fetch(instantly_client("https://api.instantly.invalid"), settings.CAMPAIGNS))
    assert "cannot reach api.instantly.invalid:443 (name not known). Check SOURCES__INSTANTLY__BASE_URL" in str(failure.value)
    assert "Error" not in str(failure.value)


@pytest.mark.parametrize("url", ["api.instantly.ai", "ftp://api.instantly.ai", "https://", "http://host:port"])
def test_a_malformed_base_url_is_refused_before_any_request(url):
    with pytest.raises(ConfigError) as refused:
        instantly_client(url)
    assert str(refused.value) == f"SOURCES__INSTANTLY__BASE_URL={url!r} is not an http(s) URL with a host name"


def test_a_resource_entering_while_the_last_one_closes_the_session_gets_an_open_one(sim):
    client = client_for(sim)

    async def scenario():
        async with client:  # the first resource makes a request, so its session holds a connection
            await client.get(settings.CAMPAIGNS, {"limit": 1})
        await client.__aenter__()
        closing = asyncio.create_task(client.__aexit__(None, None, None))
        await asyncio.sleep(0)  # the last resource's exit is now closing the session
        async with client:
            answer = await client.get(settings.CAMPAIGNS, {"limit": 1})
        await closing
        return answer

    assert "items" in asyncio.run(scenario())
