"""What one run did, per resource: requests, retries, 429s, seconds, and the items it skipped.

The runner creates one `RunStats` per source run, passes it to the source (which hands it to its
client and resources) and reads it back for the report: no module-level state crosses runs.

dlt steps an async resource in a fresh task each time; `tracked` sets the resource's name in a
context variable around every step, and the tasks the resource starts inherit it, so the client
counts each request against the resource that made it.
"""

import functools
import threading
import time
from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable, Dict, List

import dlt

CURRENT_RESOURCE: ContextVar[str] = ContextVar("current_resource", default="")


@dataclass
class RequestStats:
    """What a run asked of one API: attempts per endpoint and per resource, retries and 429s."""

    requests: Counter = field(default_factory=Counter)
    by_resource: Counter = field(default_factory=Counter)
    retries_by_resource: Counter = field(default_factory=Counter)
    throttled_by_resource: Counter = field(default_factory=Counter)
    """Answers of HTTP 429, per resource."""
    planned_by_resource: Counter = field(default_factory=Counter)
    """Requests a resource's plan will make, when the plan knows it (for progress bars)."""
    stop: threading.Event = field(default_factory=threading.Event)
    """Set when the run is interrupted: the client starts no further request."""
    span_by_resource: Dict[str, List[float]] = field(default_factory=dict)
    """[first, last] request start per resource (monotonic): the seconds of a step that is no
    resource (the activity map), which no resource wrapper times."""

    def plan(self, requests: int) -> None:
        """The running resource (or step: `CURRENT_RESOURCE`) will make `requests` more requests:
        its progress bar's total, once known."""
        self.planned_by_resource[CURRENT_RESOURCE.get()] += requests

    def asked(self, endpoint: str) -> None:
        """The running resource makes one request (an attempt: a retry counts again). One its plan
        did not foresee (a retry, a list's next page) extends the plan, so a bar never counts
        past its total."""
        name = CURRENT_RESOURCE.get()
        self.requests[endpoint] += 1
        self.by_resource[name] += 1
        self.span_by_resource.setdefault(name, [time.monotonic(), 0.0])[1] = time.monotonic()
        if self.by_resource[name] > self.planned_by_resource[name]:
            self.planned_by_resource[name] = self.by_resource[name]

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    @property
    def retries(self) -> int:
        return sum(self.retries_by_resource.values())


@dataclass
class RunStats:
    """One run of one source, as its resources and clients saw it."""

    services: Dict[str, RequestStats] = field(default_factory=dict)
    seconds: Dict[str, float] = field(default_factory=dict)
    """Seconds from a resource's first step to its end."""
    skipped: List[str] = field(default_factory=list)
    """One line per item a source skipped while the rest loaded (e.g. one unreadable seed-test job)."""
    notices: List[str] = field(default_factory=list)
    """One line per thing worth knowing that is no failure (e.g. a seed-test job that does not exist)."""
    stop: threading.Event = field(default_factory=threading.Event)
    """The whole load's: set on Ctrl-C, so every family's clients stop asking."""
    yielded: Counter = field(default_factory=Counter)
    """Rows each resource has yielded so far (before dlt normalises them)."""

    def service(self, name: str) -> RequestStats:
        return self.services.setdefault(name, RequestStats(stop=self.stop))

    def seconds_of(self, name: str) -> float:
        """A resource's seconds from its first step to its end; a step's (no resource) from its
        first request to its last."""
        if name in self.seconds:
            return self.seconds[name]
        spans = [stats.span_by_resource[name] for stats in self.services.values() if name in stats.span_by_resource]
        return max(last for _, last in spans) - min(first for first, _ in spans) if spans else 0.0

    def by_resource(self, kind: str) -> Counter:
        """`requests`, `retries`, `throttled` or `planned` per resource, over every service."""
        attribute = {
            "requests": "by_resource", "retries": "retries_by_resource",
            "throttled": "throttled_by_resource", "planned": "planned_by_resource",
        }
        total: Counter = Counter()
        for stats in self.services.values():
            total.update(getattr(stats, attribute[kind]))
        return total


def tracked(name: str, run: RunStats) -> Callable[[Callable[..., AsyncIterator[Any]]], Callable[..., AsyncIterator[Any]]]:
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
                    rows = getattr(item, "data", item)  # items dlt.mark wrapped carry their rows in .data
                    run.yielded[name] += len(rows) if isinstance(rows, list) else 1
                    yield item
            finally:
                run.seconds[name] = time.monotonic() - started

        return wrapper

    return decorate


def tracked_resource(fn: Callable[..., AsyncIterator[Any]], name: str, run: RunStats, **hints: Any) -> Any:
    """`dlt.resource` over a tracked async generator: the name is given once, for both."""
    return dlt.resource(tracked(name, run)(fn), name=name, **hints)
