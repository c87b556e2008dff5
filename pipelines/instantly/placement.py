"""Requests and row shaping for Instantly inbox placement: tests, per-email records, stats, reports."""

from collections import defaultdict
from typing import AsyncIterator, Awaitable, Dict, Iterator, List, Optional, Set, Tuple, cast

import dlt
import pendulum
from pendulum import Date

from pipelines.common.client import ApiClient
from pipelines.common.concurrency import as_completed_bounded, chunks
from pipelines.common.dates import DayWindow, day_end, day_start, parse_instant
from pipelines.common.pagination import SharedList, paginate
from pipelines.instantly import settings

Cell = Tuple[int, int, int]  # (recipient_geo, recipient_type, recipient_esp)


class PlacementTests(SharedList):
    """The inbox placement test list, fetched once per run and shared by the resources."""

    def __init__(self, client: ApiClient) -> None:
        super().__init__(client, settings.INBOX_PLACEMENT_TESTS)


class PlacementActivity:
    """Which (test, UTC day, cell) the per-email records of this run touched.

    Stats are asked only for those: a day no test ran, or a cell no seed sits in, would cost a
    request and return nothing. Only the keys are kept, never the records.
    """

    def __init__(self) -> None:
        self.cells: Set[Tuple[str, str, Cell]] = set()

    def add(self, records: List[dict]) -> None:
        for r in records:
            cell = (r.get("recipient_geo"), r.get("recipient_type"), r.get("recipient_esp"))
            if is_received(r) and None not in cell and r.get("timestamp_created_date"):
                self.cells.add((r["test_id"], r["timestamp_created_date"], cast(Cell, cell)))

    def requests_needed(self) -> Dict[Tuple[str, Cell], List[str]]:
        """(day, cell) -> the test ids to ask about, sorted for stable batches."""
        tests: Dict[Tuple[str, Cell], Set[str]] = defaultdict(set)
        for test_id, day, cell in self.cells:
            tests[(day, cell)].add(test_id)
        return {key: sorted(ids) for key, ids in sorted(tests.items())}


def is_received(record: dict) -> bool:
    """A `Received` record (where a seed's email landed). Older records have no `record_type`;
    there, only received records carry the spam flag."""
    kind = record.get("record_type")
    return kind == 2 or (kind is None and record.get("is_spam") is not None)


def as_booleans(record: dict) -> dict:
    """Flags as booleans whether the API sent booleans or (older data) 0/1 numbers."""
    for flag in settings.PLACEMENT_FLAGS:
        value = record.get(flag)
        if value is not None and not isinstance(value, bool):
            record[flag] = bool(value)
    return record


class PlacementTestCursors:
    """Per-test `timestamp_created` cursors of one resource, kept in that resource's dlt state.

    dlt.sources.incremental holds one cursor per resource; these lists need one per placement
    test, so that a test seen for the first time (or once hidden from the key) is backfilled from
    the start date, while known tests are asked only from their newest item minus the overlap.
    dlt saves the state with the load, so a failed run leaves the cursors where they were.
    """

    def __init__(self, cursors: Dict[str, str], start: str, overlap_days: int, from_start: bool = False) -> None:
        self._cursors = cursors
        self._start = start
        self._overlap = pendulum.duration(days=overlap_days)
        self._from_start = from_start

    def date_from(self, test_id: str) -> str:
        """`start` for a test never seen (or for every test in a backfill), else its newest item
        minus the overlap."""
        last = self._cursors.get(test_id)
        if not last or self._from_start:
            return self._start
        lagged = parse_instant(last) - self._overlap
        return max(self._start, lagged.format("YYYY-MM-DDTHH:mm:ss.SSS") + "Z")

    def advance(self, test_id: str, items: List[dict]) -> None:
        newest = max((i["timestamp_created"] for i in items if i.get("timestamp_created")), default=None)
        if newest and newest > self._cursors.get(test_id, ""):
            self._cursors[test_id] = newest


def placement_test_cursors(resource: str, window: DayWindow) -> PlacementTestCursors:
    """The per-test cursors of `resource`, from its own dlt state."""
    cursors = dlt.current.resource_state(resource).setdefault("test_cursors", {})
    first = window.backfill[0] if window.backfill else window.first_day
    return PlacementTestCursors(cursors, day_start(first), window.lookback_days, from_start=bool(window.backfill))


async def placement_test_items(
    client: ApiClient, path: str, test_id: str, date_from: str, date_to: Optional[str]
) -> Tuple[str, List[dict]]:
    """Every item of one test's paginated list (records or reports) created from `date_from` on."""
    params = {"test_id": test_id, "date_from": date_from, "date_to": date_to}
    return test_id, [item async for page in paginate(client, path, params) for item in page]


async def items_of_every_placement_test(
    client: ApiClient,
    tests: PlacementTests,
    path: str,
    cursors: PlacementTestCursors,
    date_to: Optional[str],
    in_flight: int,
) -> AsyncIterator[List[dict]]:
    """Each listed test's new items from `path`, many tests at once, advancing its cursor."""
    listed = await tests.listed()
    requests = (placement_test_items(client, path, t["id"], cursors.date_from(t["id"]), date_to) for t in listed)
    async for test_id, items in as_completed_bounded(requests, in_flight):
        if items:
            cursors.advance(test_id, items)
            yield items


async def cell_stats(client: ApiClient, day: str, cell: Cell, test_ids: List[str]) -> List[dict]:
    """Stats of many tests for one UTC day and one (geo, type, ESP) cell."""
    geo, recipient_type, esp = cell
    date = Date.fromisoformat(day)
    rows = await client.post(
        settings.INBOX_PLACEMENT_STATS,
        {
            "test_ids": test_ids,
            "date_from": day_start(date),
            "date_to": day_end(date),
            "recipient_geo": [geo],
            "recipient_type": [recipient_type],
            "recipient_esp": [esp],
        },
    )
    return [
        dict(row, date=day, recipient_geo=geo, recipient_type=recipient_type, recipient_esp=esp)
        for row in rows
    ]


def stats_request_count(activity: PlacementActivity) -> int:
    """How many requests `stats_requests` makes (for the progress bar), without making them."""
    per = settings.TEST_IDS_PER_STATS_REQUEST
    return sum(-(-len(test_ids) // per) for test_ids in activity.requests_needed().values())


def stats_requests(client: ApiClient, activity: PlacementActivity) -> Iterator[Awaitable[List[dict]]]:
    """One request per (day, cell) touched, with every test that ran there (batched)."""
    for (day, cell), test_ids in activity.requests_needed().items():
        for batch in chunks(test_ids, settings.TEST_IDS_PER_STATS_REQUEST):
            yield cell_stats(client, day, cell, batch)
