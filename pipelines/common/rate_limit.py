"""A workspace-wide request budget shared by every coroutine of a run, that backs off when the
workspace is busy with other tools."""

import asyncio
import heapq
import itertools
import threading
import time
from contextvars import ContextVar
from typing import Callable, List, Optional, Tuple

DECREASE = 0.7
"""A 429 without Retry-After multiplies the rate by this (the multiplicative decrease)."""
RECOVERY_PER_S = 0.02
"""Each second without a 429, the rate grows by this share of the configured rate (the additive
increase): from 70% back to 100% in 15 s, probing for what the workspace leaves free."""
COOLDOWN_S = 1.0
"""429s closer than this to the last cut are one signal (requests in flight answer together)."""
FLOOR = 0.05
"""The rate never falls below this share of the configured rate."""
API_LIMIT = 100.0
"""The most a configured rate may be unless the source says otherwise: Instantly's documented
limit per workspace (100 req/s; 6,000 req/min)."""


PREREQUISITE: ContextVar[bool] = ContextVar("prerequisite", default=False)
"""Set for the work of a shared result (`concurrency.Shared`: the campaign list, a day of the
activity map), which other requests wait on: its requests take the next free slot before any
other waiting request, so a run's critical path never queues behind requests nothing waits on."""


class RateLimiter:
    """Spaces request starts evenly at the current rate, at most the configured `per_second`.

    Even spacing (rather than bursts of `per_second` then a pause) keeps the load on the shared
    workspace budget smooth and lets a run reach the budget with few requests in flight.

    Instantly's 100 req/s is shared by every integration and person using the workspace, so the
    configured share may be more than is free. A 429 without Retry-After (`throttled`) cuts the
    rate (multiplicative decrease); every second without one adds back a little (additive
    increase), so the rate settles just under what the workspace leaves, with few 429s, and
    climbs back when the others go quiet. `pause()` (a 429's wait) pushes every future start
    back, so one 429 slows the whole run, not just the request that saw it.

    Slots are handed one at a time, each when the one before it starts, to the waiting request
    that comes first: prerequisites (`PREREQUISITE`) before the rest, then in order of asking. A
    request that others wait on then never queues behind a whole family's requests in flight.

    One limiter may serve several event loops at once (a workspace's families extract on threads
    of their own), so its bookkeeping is under a thread lock, never held across an await, and a
    slot reaches a waiter on another loop through that loop.
    """

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic, limit: float = API_LIMIT) -> None:
        if not 0 < per_second <= limit:
            raise ValueError(f"the request budget must be between 0 and {limit:g} requests per second (the API's limit)")
        self.ceiling = per_second
        self.rate = per_second
        self._clock = clock
        self._next_start = 0.0
        self._last_change = clock()
        self._last_cut = float("-inf")
        self._lock = threading.Lock()
        self._waiting: List[Tuple[int, int, "asyncio.Future[float]"]] = []  # (precedence, order, waiter)
        self._order = itertools.count()
        self._handed: "Optional[asyncio.Future[float]]" = None  # the slot handed and not yet started

    @property
    def interval(self) -> float:
        return 1.0 / self.rate

    async def acquire(self) -> None:
        """Wait for this request's slot (first in line when `PREREQUISITE` is set)."""
        waiter: "asyncio.Future[float]" = asyncio.get_running_loop().create_future()
        with self._lock:
            heapq.heappush(self._waiting, (0 if PREREQUISITE.get() else 1, next(self._order), waiter))
            self._hand_next()
        try:
            wait = await waiter
            if wait > 0:
                await asyncio.sleep(wait)
        finally:  # started, or cancelled: the next slot goes to whoever is first in line now
            with self._lock:
                if self._handed is waiter:
                    self._handed = None
                else:
                    self._waiting = [entry for entry in self._waiting if entry[2] is not waiter]
                    heapq.heapify(self._waiting)
                self._hand_next()

    def _hand_next(self) -> None:
        """Under the lock: the next slot to the first waiter in line, unless one is handed."""
        while self._handed is None and self._waiting:
            waiter = heapq.heappop(self._waiting)[2]
            if waiter.done():  # cancelled while waiting
                continue
            now = self._clock()
            self._recover(now)
            start = max(now, self._next_start)
            self._next_start = start + self.interval
            self._handed = waiter
            waiter.get_loop().call_soon_threadsafe(_hand, waiter, start - now)

    def pause(self, seconds: float) -> None:
        """Start no request for `seconds` from now."""
        with self._lock:
            self._next_start = max(self._next_start, self._clock() + seconds)

    def throttled(self) -> None:
        """The workspace refused a request for its rate (429 without Retry-After): slow down."""
        with self._lock:
            now = self._clock()
            if now - self._last_cut < COOLDOWN_S:
                return
            self._recover(now)
            self.rate = max(self.ceiling * FLOOR, self.rate * DECREASE)
            self._last_cut = self._last_change = now

    def rate_now(self) -> float:
        """The rate a request starting now gets: the recovery since the last change included."""
        with self._lock:
            self._recover(self._clock())
            return self.rate

    def delay(self) -> float:
        """Seconds from now before the next request may start (0: at once)."""
        with self._lock:
            return max(0.0, self._next_start - self._clock())

    def _recover(self, now: float) -> None:
        self.rate = min(self.ceiling, self.rate + self.ceiling * RECOVERY_PER_S * (now - self._last_change))
        self._last_change = now


def _hand(waiter: "asyncio.Future[float]", wait: float) -> None:
    if not waiter.done():
        waiter.set_result(wait)


class SharedBudget:
    """One workspace's limiter, made by the first of its families' clients to ask (with that
    source's configured rate) and shared by the rest: the workspace's budget is one, however
    many families load it at once."""

    def __init__(self) -> None:
        self._limiter: Optional[RateLimiter] = None
        self._lock = threading.Lock()

    def limiter(self, per_second: float, limit: float = API_LIMIT) -> RateLimiter:
        with self._lock:
            if self._limiter is None:
                self._limiter = RateLimiter(per_second, limit=limit)
            return self._limiter
