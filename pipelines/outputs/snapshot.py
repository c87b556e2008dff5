"""A copy of the DuckDB warehouse for BI tools and people, published after every run whose dbt
build passed, a partial run too (a failed family keeps its last good rows, and `source_freshness`
says so: the snapshot is as true as the warehouse).

DuckDB allows one writing process or many reading ones, never both: a BI tool holding the
warehouse file would make the next run fail, and a run would lock people out. BI tools read
`<warehouse>.snapshot.duckdb` instead. It is written to a temporary file and renamed into place,
so a reader holding the old snapshot keeps a consistent old view (its open file stays as it
was), new readers get the new one, and no reader ever blocks a run.

Views are copied as tables: dbt-duckdb qualifies the names inside a view with the database
name, which DuckDB takes from the file name, so a view copied as-is would point at a database
that is not there when the snapshot is opened under its own name.
"""

import os
import time
from dataclasses import dataclass
from pathlib import Path

import dlt
import duckdb

from pipelines.engine.warehouse import our_tables_sql, snapshot_of

SCHEMAS = ("analytics", "staging", "raw")
"""The marts, the staging views, and the raw tables (dlt's own bookkeeping tables left out)."""


@dataclass(frozen=True)
class Snapshot:
    path: Path
    relations: int
    seconds: float

    def line(self) -> str:
        size_mb = self.path.stat().st_size / 1e6
        return f"snapshot for BI tools: {self.path} ({self.relations} tables, {size_mb:.1f} MB) in {self.seconds:.1f}s"


def snapshot_enabled() -> bool:
    """`DESTINATION__DUCKDB__SNAPSHOT=false` turns the snapshot off (default on)."""
    return dlt.config.get("destination.duckdb.snapshot", bool) is not False


def publish(warehouse: Path) -> Snapshot:
    """Copies every table and view of SCHEMAS into a new snapshot, then renames it into place."""
    started = time.monotonic()
    target = snapshot_of(warehouse)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(partial)) as con:
            con.execute("attach ? as source_warehouse (read_only)", [str(warehouse)])
            relations = con.execute(our_tables_sql(SCHEMAS, catalog="source_warehouse")).fetchall()
            for schema in SCHEMAS:
                con.execute(f'create schema if not exists "{schema}"')
            for schema, name in relations:
                con.execute(f'create table "{schema}"."{name}" as select * from source_warehouse."{schema}"."{name}"')
            con.execute("detach source_warehouse")
            con.execute("checkpoint")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
        Path(f"{partial}.wal").unlink(missing_ok=True)
    return Snapshot(target, len(relations), time.monotonic() - started)
