"""`Shared`: one result for every awaiter, and nothing left running once nobody waits for it."""

import asyncio

from pipelines.common.concurrency import Shared
from pipelines.common.rate_limit import PREREQUISITE

"""The fast tier (`make test-fast`): no warehouse is built here."""


def test_a_shared_result_is_computed_once_for_every_awaiter():
    calls = []

    async def make():
        calls.append(1)
        await asyncio.sleep(0.01)
        return "campaigns"

    async def main():
        shared = Shared(make)
        return await asyncio.gather(shared.get(), shared.get())

    assert asyncio.run(main()) == ["campaigns", "campaigns"] and calls == [1]


def test_cancelling_one_awaiter_leaves_the_result_to_the_others():
    async def main():
        shared = Shared(lambda: asyncio.sleep(0.05, result="days"))
        first, second = asyncio.ensure_future(shared.get()), asyncio.ensure_future(shared.get())
        await asyncio.sleep(0.01)
        first.cancel()
        return await second

    assert asyncio.run(main()) == "days"


def test_cancelling_the_last_awaiter_cancels_the_work():
    started, finished = [], []

    async def make():
        started.append(1)
        await asyncio.sleep(0.05)
        finished.append(1)

    async def main():
        waiter = asyncio.ensure_future(Shared(make).get())
        await asyncio.sleep(0.01)
        waiter.cancel()
        await asyncio.sleep(0.1)

    asyncio.run(main())
    assert started == [1] and finished == []


def test_the_work_of_a_shared_result_is_a_prerequisite_and_its_awaiters_are_not():
    async def make():
        return PREREQUISITE.get()

    async def main():
        return await Shared(make).get(), PREREQUISITE.get()

    assert asyncio.run(main()) == (True, False)
