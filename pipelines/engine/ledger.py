"""The run ledger: what every run did, in the warehouse beside the data (`raw.run_ledger`).

One row per run × workspace × family: its status (`ok`, `unsupported`, `failed`, `skipped`),
start and end (UTC), rows per table, requests, retries, 429s and the one-line cause; and one
row per run for dbt (family `dbt`): its status and the names of the tests that warned. The
`source_freshness` mart reads it, so a BI tool or an alert sees which family of which workspace
is stale, and why, without reading a log.
"""

import json
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional

import dlt
import pendulum
from dlt.common.schema.typing import TTableSchemaColumns

from pipelines.engine.explain import explain
from pipelines.engine.runner import FamilyResult, make_pipeline, write_computed
from pipelines.engine.warehouse import PIPELINE_NAME, Warehouse

PIPELINE = f"{PIPELINE_NAME}_ledger"
"""Its pipeline, and the name of its dlt schema (so an identifier)."""
TABLE = "run_ledger"
DBT_FAMILY = "dbt"
ALL_WORKSPACES = "*"
"""The workspace label of the dbt row: dbt builds every workspace's marts at once."""
COLUMNS: TTableSchemaColumns = {
    "started_at": {"data_type": "timestamp"},
    "ended_at": {"data_type": "timestamp"},
    "workspace_id": {"data_type": "text"},
    "cause": {"data_type": "text"},
    "warnings": {"data_type": "text"},
    "warning_count": {"data_type": "bigint"},
}


def new_run_id() -> str:
    """A run's id: its UTC start, then a random part (two runs may start in one second)."""
    import uuid

    return f"{pendulum.now('UTC').format('YYYYMMDDTHHmmss')}Z-{uuid.uuid4().hex[:8]}"


def family_row(run_id: str, result: FamilyResult) -> Dict[str, object]:
    """The ledger row of one family's outcome."""
    report, stats = result.report, result.stats
    rows = report.rows if report else {}
    return {
        "run_id": run_id,
        "workspace_label": result.spec.workspace,
        "workspace_id": result.spec.workspace_id,
        "source": result.spec.family.source,
        "family": result.spec.family.name,
        "status": result.status,
        "started_at": result.started_at,
        "ended_at": result.ended_at,
        "row_count": sum(rows.values()),
        "rows_by_table": json.dumps(rows, sort_keys=True),
        "request_count": sum(s.total for s in stats.services.values()),
        "retry_count": sum(s.retries for s in stats.services.values()),
        "throttled_count": sum(sum(s.throttled_by_resource.values()) for s in stats.services.values()),
        "cause": result.cause or None,
    }


def dbt_row(
    run_id: str, status: str, started_at: pendulum.DateTime, warnings: Iterable[str] = (), cause: str = ""
) -> Dict[str, object]:
    """The ledger row of the run's `dbt build` (`ok`, `failed` or `skipped`)."""
    names: List[str] = sorted(warnings)
    return {
        "run_id": run_id,
        "workspace_label": ALL_WORKSPACES,
        "source": DBT_FAMILY,
        "family": DBT_FAMILY,
        "status": status,
        "started_at": started_at,
        "ended_at": pendulum.now("UTC"),
        "warning_count": len(names),
        "warnings": ", ".join(names) or None,
        "cause": cause or None,
    }


def record(pipeline_named: Callable[[str], dlt.Pipeline], rows: List[Dict[str, object]]) -> Optional[int]:
    """Merges `rows` into the ledger (on run, workspace and family: writing a run's row twice
    keeps one), with the rows of an earlier run whose ledger write failed (`write_computed`)."""
    if not rows:
        return None
    pipeline = pipeline_named(PIPELINE)
    resource = dlt.resource(
        rows, name=TABLE, write_disposition="merge", primary_key=("run_id", "workspace_label", "family"),
        columns=COLUMNS,
    )
    write_computed(pipeline, resource)
    return len(rows)


@dataclass
class RunLedger:
    """One run's ledger: its id and its writes (the families' rows, then dbt's).

    The ledger is about the data, not the data itself: a write that fails (a full disk) is one
    error line, said once however many writes fail, and never ends the run. Its rows stay
    pending, and the next write, of this run or a later one, writes them first (`record`)."""

    warehouse: Warehouse
    fail: Callable[[str], None]
    run_id: str = field(default_factory=new_run_id)
    failed: bool = False

    def record(self, rows: List[Dict[str, object]]) -> Optional[str]:
        """Writes `rows`; returns the problem for the run's summary when that failed."""
        try:
            record(lambda name: make_pipeline(self.warehouse, pipeline_name=name), rows)
        except Exception as exc:  # noqa: BLE001 - one line; the rows wait for the next write
            if not self.failed:
                self.fail(f"run ledger not written (its rows are kept for the next run): {explain(exc)}")
            self.failed = True
            return PROBLEM
        return None


PROBLEM = "run ledger not written"
"""The run ledger's problem in the run's summary."""
