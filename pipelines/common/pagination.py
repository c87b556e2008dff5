"""The one cursor-pagination helper (`limit` + `starting_after` / `next_starting_after`)."""

from typing import Any, AsyncIterator, Dict, List, Optional

from pipelines.common.client import ApiClient
from pipelines.common.concurrency import Shared

PAGE_LIMIT = 100


async def paginate(
    client: ApiClient, path: str, params: Optional[Dict[str, Any]] = None
) -> AsyncIterator[List[dict]]:
    """Yields each non-empty page of `items`.

    Stops on an empty page, a missing cursor, or a cursor already seen (an API that does not
    advance it would otherwise loop forever). A short page is not the end: the API may return
    fewer items than `limit` mid-list, and its last page with data still carries a cursor.
    """
    query = dict(params or {}, limit=PAGE_LIMIT)
    seen = set()
    while True:
        page = await client.get(path, query)
        items = page.get("items") or []
        if not items:
            return
        yield items
        cursor = page.get("next_starting_after")
        if not cursor or cursor in seen:
            return
        seen.add(cursor)
        query["starting_after"] = cursor


class SharedList:
    """Every item of one paginated list, fetched once per run and shared by the resources that
    need it (the test list, the account list)."""

    def __init__(self, client: ApiClient, path: str) -> None:
        self.client = client
        self._items = Shared(self._fetch)
        self._path = path

    async def listed(self) -> List[dict]:
        return await self._items.get()

    async def _fetch(self) -> List[dict]:
        return [item async for page in paginate(self.client, self._path) for item in page]
