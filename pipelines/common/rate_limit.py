"""A workspace-wide request budget shared by every coroutine of a run."""

import asyncio
import time


class RateLimiter:
    """Spaces request starts evenly at `per_second`, so no one-second window exceeds the budget.

    Even spacing (rather than bursts of `per_second` then a pause) keeps the load on the shared
    workspace budget smooth and lets a run reach the budget with few requests in flight.
    `pause()` pushes every future start back, so one 429 slows the whole run, not just the
    request that saw it.
    """

    def __init__(self, per_second: float) -> None:
        if not 0 < per_second <= 100:
            raise ValueError("the request budget must be between 0 and 100 requests per second")
        self.interval = 1.0 / per_second
        self._next_start = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait for this request's slot."""
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)

    def pause(self, seconds: float) -> None:
        """Start no request for `seconds` from now."""
        self._next_start = max(self._next_start, time.monotonic() + seconds)
