"""What changed in a list the API serves whole: the lists with no time filter (custom tags and
their mappings) are read in full every run, and only what changed since the last completed
load is written.

The versions seen are kept in the resource's dlt state, which dlt commits with the load (and
the runner drops with an aborted one), so a failed run is simply read again next time.
"""

from typing import Dict, List, MutableMapping

from dlt.common.schema.typing import TTableSchemaColumns

DELETED = "deleted_upstream"
"""The column that marks a row gone from the API: dlt deletes it from the table on merge
(its `hard_delete` hint), so the table holds what the API lists now."""
DELETED_HINT: TTableSchemaColumns = {DELETED: {"data_type": "bool", "hard_delete": True}}


def listed_changes(items: List[dict], state: MutableMapping, key: str, version: str) -> List[dict]:
    """The items that are new or whose `version` field changed since the versions kept in
    `state`, then a deletion row for every key kept there that the API no longer lists; `state`
    then holds this listing's versions."""
    seen: Dict[str, str] = state.get("versions", {})
    current = {str(item[key]): str(item.get(version)) for item in items}
    changed = [item for item in items if seen.get(str(item[key])) != current[str(item[key])]]
    gone = [{key: k, DELETED: True} for k in seen if k not in current]
    state["versions"] = current
    return changed + gone
