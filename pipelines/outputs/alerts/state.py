"""Alert state in the warehouse, beside the data it is about.

`raw.alert_state`: one row per alert (workspace, rule, subject, from when it was first seen):
`open` while the rule keeps finding it, with when it was last seen; `resolved` from the first run
that no longer finds it. `raw.alert_deliveries`: one row per alert event (opened, resolved) and
destination, `sent_at` empty until the destination took it, so a destination that was down gets
the event on a later run, once.
"""

import json
from typing import Any, Dict, List, Tuple

import dlt
from dlt.common.schema.typing import TTableSchemaColumns

from pipelines.common.sources import PIPELINE_NAME
from pipelines.engine.runner import finish_pending, make_pipeline, write_computed
from pipelines.engine.warehouse import Warehouse
from pipelines.outputs.marts import Rows, query, table_exists

PIPELINE = f"{PIPELINE_NAME}_alerts"
STATE = "alert_state"
DELIVERIES = "alert_deliveries"
AlertKey = Tuple[str, str, str]
"""(workspace label, rule, subject)."""

TIMESTAMPS: TTableSchemaColumns = {
    "first_seen_at": {"data_type": "timestamp"},
    "last_seen_at": {"data_type": "timestamp"},
    "resolved_at": {"data_type": "timestamp"},
    "sent_at": {"data_type": "timestamp"},
    "figure": {"data_type": "double"},
    "threshold": {"data_type": "double"},
    "n": {"data_type": "bigint"},
    "last_error": {"data_type": "text"},
}


class NotWritten(Exception):
    """The evaluation's rows were not written: they stay pending, and the next evaluation writes
    them before it reads (`settle`), so what was sent is not sent again."""


def open_alerts(client: Any) -> Dict[AlertKey, Dict[str, Any]]:
    """Every alert open now, by its key."""
    if not table_exists(client, "raw", STATE):
        return {}
    rows = query(client, f"select * from raw.{STATE} where status = 'open'")
    return {(r["workspace_label"], r["rule"], r["subject"]): r for r in rows}


def pending_deliveries(client: Any) -> Rows:
    """Events a destination has not taken yet, oldest first."""
    if not table_exists(client, "raw", DELIVERIES):
        return []
    return query(client, f"select * from raw.{DELIVERIES} where sent_at is null order by created_at, rule, subject")


def event_of(delivery: Dict[str, Any]) -> Dict[str, Any]:
    return json.loads(delivery["event"])


def save(warehouse: Warehouse, state: List[Dict[str, Any]], deliveries: List[Dict[str, Any]]) -> None:
    """Merges alert rows and delivery rows (on their keys: a row written twice is kept once)."""
    resources = []
    if state:
        resources.append(dlt.resource(
            state, name=STATE, write_disposition="merge", columns=TIMESTAMPS,
            primary_key=("workspace_label", "rule", "subject", "first_seen_at"),
        ))
    if deliveries:
        resources.append(dlt.resource(
            deliveries, name=DELIVERIES, write_disposition="merge", columns=TIMESTAMPS,
            primary_key=("workspace_label", "rule", "subject", "first_seen_at", "kind", "destination"),
        ))
    if resources:
        write_computed(make_pipeline(warehouse, pipeline_name=PIPELINE), resources)


def settle(warehouse: Warehouse) -> None:
    """Writes what an earlier evaluation computed but could not write (its load failed), before
    this one reads the state: evaluated without it, its alerts would open a second time."""
    finish_pending(make_pipeline(warehouse, pipeline_name=PIPELINE))
