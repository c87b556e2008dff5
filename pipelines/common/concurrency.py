"""Run many requests at once with bounded memory, yielding results as they finish."""

import asyncio
import contextvars
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Generic,
    Iterable,
    Iterator,
    List,
    Optional,
    Sequence,
    TypeVar,
)

from pipelines.common.rate_limit import PREREQUISITE

T = TypeVar("T")


class Shared(Generic[T]):
    """One coroutine's result, computed once per run and shared by every resource that awaits it
    (a campaign list, a test list, a day of the activity map, a round of polls): started by the
    first awaiter, shielded so that one awaiter's cancellation does not cancel it for the others,
    and cancelled when the last awaiter leaves before it is done (a failing run leaves no request
    behind it). Others wait on it, so its requests are prerequisites (`PREREQUISITE`): first in
    line for the workspace's budget."""

    def __init__(self, make: Callable[[], Coroutine[Any, Any, T]]) -> None:
        self._make = make
        self._future: Optional[asyncio.Future] = None
        self._waiting = 0

    async def get(self) -> T:
        if self._future is None or self._future.cancelled():
            context = contextvars.copy_context()
            context.run(PREREQUISITE.set, True)
            self._future = asyncio.get_running_loop().create_task(self._make(), context=context)
        self._waiting += 1
        try:
            return await asyncio.shield(self._future)
        finally:
            # The last awaiter gone (cancelled, or its generator closed by a failing extract)
            # takes the unfinished work with it: no request outlives the run's event loop.
            self._waiting -= 1
            if self._waiting == 0 and not self._future.done():
                self._future.cancel()


async def as_completed_bounded(awaitables: Iterable[Awaitable[T]], limit: int) -> AsyncIterator[T]:
    """Yields results in completion order, keeping at most `limit` awaitables scheduled.

    The iterable is consumed lazily, so 36,000 (campaign, day) requests cost 36,000 coroutine
    objects over the run, never at once. The client's own semaphore and rate limiter still
    decide when each request goes out; `limit` only bounds what waits in memory. If one fails,
    the others are cancelled and the error propagates.
    """
    pending: set = set()
    source = iter(awaitables)
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < limit:
                try:
                    pending.add(asyncio.ensure_future(next(source)))
                except StopIteration:
                    exhausted = True
            if not pending:
                return
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                yield task.result()
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def chunks(items: Sequence[T], size: int) -> Iterator[List[T]]:
    """`items` in batches of at most `size`: one request each (an API's limit on ids per call)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
