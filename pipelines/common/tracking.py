"""Which resource is running: so each request and second of a run is counted against it.

dlt steps an async resource in a fresh task each time; `tracked` sets the resource's name in a
context variable around every step, and tasks the resource starts inherit it.
"""

import functools
import time
from contextvars import ContextVar
from typing import Any, AsyncIterator, Callable, Dict

import dlt

CURRENT_RESOURCE: ContextVar[str] = ContextVar("current_resource", default="")
RESOURCE_SECONDS: Dict[str, float] = {}
"""Seconds from a resource's first step to its end, in this process's latest run."""


def tracked(name: str) -> Callable[[Callable[..., AsyncIterator[Any]]], Callable[..., AsyncIterator[Any]]]:
    """Wraps an async generator resource; `functools.wraps` keeps its signature for dlt."""

    def decorate(fn: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            started = time.monotonic()
            steps = fn(*args, **kwargs)
            try:
                while True:
                    token = CURRENT_RESOURCE.set(name)
                    try:
                        item = await steps.__anext__()
                    except StopAsyncIteration:
                        return
                    finally:
                        CURRENT_RESOURCE.reset(token)
                    yield item
            finally:
                RESOURCE_SECONDS[name] = time.monotonic() - started

        return wrapper

    return decorate


def tracked_resource(fn: Callable[..., AsyncIterator[Any]], name: str, **hints: Any) -> Any:
    """`dlt.resource` over a tracked async generator: the name is given once, for both."""
    return dlt.resource(tracked(name)(fn), name=name, **hints)
