"""`RateLimiter`'s line: which waiting request gets the next slot, and that no slot is lost."""

import asyncio
import threading

from pipelines.common.rate_limit import PREREQUISITE, RateLimiter

"""The fast tier (`make test-fast`): no warehouse is built here."""


async def ask(limiter: RateLimiter, name: str, started: list, prerequisite: bool = False) -> None:
    PREREQUISITE.set(prerequisite)  # this task's own context
    await limiter.acquire()
    started.append(name)


def test_a_prerequisite_takes_the_next_slot_before_requests_that_asked_earlier():
    started: list = []

    async def main():
        limiter = RateLimiter(10)
        await ask(limiter, "request 1", started)  # the next slot is 100 ms away: the others all wait for it
        await asyncio.gather(*(ask(limiter, f"request {n}", started) for n in range(2, 5)),
                             ask(limiter, "map", started, prerequisite=True))

    asyncio.run(main())
    assert started == ["request 1", "map", "request 2", "request 3", "request 4"]


def test_requests_of_equal_standing_start_in_the_order_they_asked():
    started: list = []

    async def main():
        limiter = RateLimiter(10)
        await ask(limiter, "request 0", started)
        await asyncio.gather(*(ask(limiter, f"request {n}", started) for n in range(1, 6)))

    asyncio.run(main())
    assert started == [f"request {n}" for n in range(6)]


def test_a_request_cancelled_while_it_waits_passes_its_slot_on():
    started: list = []

    async def main():
        limiter = RateLimiter(20)
        first = asyncio.ensure_future(ask(limiter, "first", started))
        handed = asyncio.ensure_future(ask(limiter, "cancelled", started))
        queued = asyncio.ensure_future(ask(limiter, "queued", started))
        await first
        await asyncio.sleep(0.01)  # "cancelled" holds the next slot, 50 ms away
        handed.cancel()
        await asyncio.wait_for(queued, timeout=30)

    asyncio.run(main())
    assert started == ["first", "queued"]


def test_one_limiter_serves_event_loops_on_several_threads():
    limiter = RateLimiter(100)
    started: list = []

    def family(name: str) -> None:
        async def main():
            await asyncio.gather(*(ask(limiter, name, started) for _ in range(10)))

        asyncio.run(main())

    threads = [threading.Thread(target=family, args=(name,)) for name in ("campaigns", "placement")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(started) == ["campaigns"] * 10 + ["placement"] * 10


def test_waiters_whose_event_loop_stopped_hold_up_no_one():
    limiter = RateLimiter(20)
    abandoned = asyncio.new_event_loop()  # a failed family's loop: stopped, its requests never resumed

    async def join_the_line():
        for _ in range(3):
            asyncio.ensure_future(limiter.acquire())
        await asyncio.sleep(0)

    abandoned.run_until_complete(join_the_line())
    started: list = []

    async def main():
        await asyncio.wait_for(asyncio.gather(*(ask(limiter, "next", started) for _ in range(3))), timeout=30)

    asyncio.run(main())
    assert started == ["next"] * 3
