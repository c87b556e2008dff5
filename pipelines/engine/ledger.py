"""The run ledger: what every run did, in the warehouse beside the data (`raw.run_ledger`).

One row per run × workspace × family: its status (`ok`, `unsupported`, `failed`, `skipped`),
start and end (UTC), rows per table, requests, retries, 429s and the one-line cause; and one
row per run for dbt (family `dbt`): its status and the names of the tests that warned. The
`source_freshness` mart reads it, so a BI tool or an alert sees which family of which workspace
is stale, and why, without reading a log.
"""

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional

import dlt
import pendulum
from dlt.common.schema.typing import TTableSchemaColumns

from pipelines.common.sources import PIPELINE_NAME
from pipelines.engine.explain import explain
from pipelines.engine.outcome import FamilyResult
from pipelines.engine.runner import pipelines_of, write_computed
from pipelines.engine.warehouse import Warehouse

log = logging.getLogger(__name__)
PIPELINE = f"{PIPELINE_NAME}_ledger"
"""Its pipeline, and the name of its dlt schema (so an identifier)."""
TABLE = "run_ledger"
DBT_FAMILY = "dbt"
ALL_WORKSPACES = "*"
"""The workspace label of the dbt row: dbt builds every workspace's marts at once."""
RUN_FAMILY = "run"
"""The family of a run's own row: written for a run the warehouse's lock refused."""
REFUSED_SPOOL = "refused-runs.jsonl"
"""Refused runs' rows waiting for the next run that holds the lock (in the warehouse's working directory)."""
COLUMNS: TTableSchemaColumns = {
    "started_at": {"data_type": "timestamp"},
    "ended_at": {"data_type": "timestamp"},
    "workspace_id": {"data_type": "text"},
    "cause": {"data_type": "text"},
    "warnings": {"data_type": "text"},
    "warning_count": {"data_type": "bigint"},
}


def new_run_id(writer: Optional[str] = None) -> str:
    """A run's id: its UTC start, then a random part (two runs may start in one second), or
    `writer`'s name for it when it has one (`dagster-<its run id>`: the ledger says who wrote)."""
    import uuid

    return f"{pendulum.now('UTC').format('YYYYMMDDTHHmmss')}Z-{writer or uuid.uuid4().hex[:8]}"


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


def refused_row(cause: str) -> Dict[str, object]:
    """The ledger row of a run the warehouse's lock refused: it loaded nothing, and says why."""
    now = pendulum.now("UTC").to_iso8601_string()
    return {
        "run_id": new_run_id(), "workspace_label": ALL_WORKSPACES, "source": RUN_FAMILY, "family": RUN_FAMILY,
        "status": "refused", "started_at": now, "ended_at": now, "cause": cause,
    }


def record_refused(warehouse: Warehouse, cause: str) -> None:
    """Leaves the trace of a run the lock refused. On PostgreSQL it is written at once, through a
    working directory of its own (never the holder's), so `source_freshness` and the alerts see
    it; on DuckDB, whose file the holder may have open (and must never find locked), and when
    that write fails, it waits in a spool that the next run holding the lock writes first."""
    row = refused_row(cause)
    if warehouse.duckdb_file is None:
        with tempfile.TemporaryDirectory() as scratch:
            try:
                record(pipelines_of(replace(warehouse, state_dir=Path(scratch))), [row])
                return
            except Exception:  # noqa: BLE001 - the trace waits for the next run
                log.warning("the refused run's ledger row could not be written now; spooled", exc_info=True)
    spool = warehouse.pipelines_dir() / REFUSED_SPOOL
    spool.parent.mkdir(parents=True, exist_ok=True)
    with open(spool, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")


def take_spooled(warehouse: Warehouse) -> Optional[Path]:
    """The refused runs' spool, moved aside for this run to write (a run refused meanwhile starts
    a new one); None when there is none."""
    spool = warehouse.pipelines_dir() / REFUSED_SPOOL
    taken = spool.with_name(f"{REFUSED_SPOOL}.{os.getpid()}")
    try:
        os.replace(spool, taken)
    except FileNotFoundError:
        pass
    return taken if taken.exists() else None


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
    pending, and the next write, of this run or a later one, writes them first (`record`), with
    the rows of runs the warehouse's lock refused meanwhile (`record_refused`)."""

    warehouse: Warehouse
    fail: Callable[[str], None]
    run_id: str = field(default_factory=new_run_id)
    failed: bool = False

    def record(self, rows: List[Dict[str, object]]) -> Optional[str]:
        """Writes `rows`; returns the problem for the run's summary when that failed."""
        spooled = take_spooled(self.warehouse)
        if spooled is not None:
            rows = [json.loads(line) for line in spooled.read_text(encoding="utf-8").splitlines() if line.strip()] + rows
        try:
            record(pipelines_of(self.warehouse), rows)
        except Exception as exc:  # noqa: BLE001 - one line; the rows wait for the next write
            if spooled is not None:  # back in the spool: the ledger merges a row written twice into one
                with open(spooled.with_name(REFUSED_SPOOL), "a", encoding="utf-8") as handle:
                    handle.write(spooled.read_text(encoding="utf-8"))
            if not self.failed:
                self.fail(f"run ledger not written (its rows are kept for the next run): {explain(exc)}")
            self.failed = True
            return PROBLEM
        finally:
            if spooled is not None:
                spooled.unlink()
        return None


PROBLEM = "run ledger not written"
"""The run ledger's problem in the run's summary."""
