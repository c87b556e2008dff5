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
IDLE_S = 1.0
"""The dispatcher's thread ends after this long with nobody waiting (the next request starts one)."""
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

    A dispatcher thread starts the waiting requests one at a time, at each slot, the first in line
    first: prerequisites (`PREREQUISITE`) before the rest, then in order of asking. A request that
    others wait on then never queues behind a whole family's requests in flight.

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
        self._waiting: List[Tuple[int, int, "asyncio.Future[None]"]] = []  # (precedence, order, waiter)
        self._order = itertools.count()
        self._line_changed = threading.Condition(self._lock)
        self._dispatcher: Optional[threading.Thread] = None

    @property
    def interval(self) -> float:
        return 1.0 / self.rate

    async def acquire(self) -> None:
        """Wait for this request's slot (first in line when `PREREQUISITE` is set)."""
        waiter: "asyncio.Future[None]" = asyncio.get_running_loop().create_future()
        with self._lock:
            heapq.heappush(self._waiting, (0 if PREREQUISITE.get() else 1, next(self._order), waiter))
            if self._dispatcher is None:
                self._dispatcher = threading.Thread(target=self._dispatch, name="rate-limiter", daemon=True)
                self._dispatcher.start()
            else:
                self._line_changed.notify()
        await waiter  # cancelled meanwhile: the dispatcher passes it over

    def _dispatch(self) -> None:
        """The dispatcher's thread: at each slot, the first waiter in line starts. It owes nothing
        to the waiters (one cancelled, or whose event loop stopped, loses its turn, never the
        limiter's), and it ends after a second with nobody waiting."""
        with self._lock:
            while True:
                while self._waiting and self._waiting[0][2].done():
                    heapq.heappop(self._waiting)
                if not self._waiting:
                    if not self._line_changed.wait(timeout=IDLE_S) and not self._waiting:
                        self._dispatcher = None
                        return
                    continue
                now = self._clock()
                self._recover(now)
                if self._next_start > now:
                    self._line_changed.wait(timeout=self._next_start - now)  # a prerequisite may join meanwhile
                    continue
                waiter = heapq.heappop(self._waiting)[2]
                try:
                    waiter.get_loop().call_soon_threadsafe(_start, waiter)
                except RuntimeError:  # its event loop is closed: the slot goes to the next in line
                    continue
                # on the slots' grid when this slot was due less than a slot ago (the thread woke a
                # little late: lateness must not slow the rate); from now after an idle spell
                due = self._next_start if now - self._next_start < self.interval else now
                self._next_start = due + self.interval

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


def _start(waiter: "asyncio.Future[None]") -> None:
    if not waiter.done():
        waiter.set_result(None)


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
