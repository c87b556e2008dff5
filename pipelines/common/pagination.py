"""The one cursor-pagination helper (`limit` + `starting_after` / `next_starting_after`)."""

from typing import Any, AsyncIterator, Dict, List, Optional

from pipelines.common.client import ApiClient

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
