"""Which warehouse a run writes to, and the local files that belong to that warehouse alone
(dlt's working state, the run lock, dbt's target, the BI snapshot).

dlt keeps a pipeline's working state (state, pending load packages) in a local directory. Two
warehouses on one host must never share it: an agency with a warehouse per client, or dev and
prod on one box, would otherwise have one warehouse's cursors applied to the other. So the
working directory and the run lock are derived from the destination itself: the absolute
DuckDB path, or the PostgreSQL server, database and dataset. The state stored in the warehouse
stays the source of truth: a new working directory restores it from there on its first run.
"""

import hashlib
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

import dlt
from dlt.common.pipeline import get_dlt_pipelines_dir

from pipelines.common.errors import ConfigError
from pipelines.common.sources import PIPELINE_NAME

DATASET = "raw"
DEFAULT_DUCKDB = "data/warehouse.duckdb"
DEMO_DUCKDB = "data/demo.duckdb"
"""Where `make demo` loads the simulator's workspace: never the real warehouse."""


@dataclass(frozen=True)
class Warehouse:
    """A destination and where its local working state and run lock live."""

    destination: str
    identity: str
    """What tells this warehouse apart from every other: never a secret."""
    duckdb_file: Optional[Path] = None
    state_dir: Optional[Path] = None
    """Where dlt's working state lives, when not the default under DLT_DATA_DIR (the demo's,
    a throwaway one to read the stored state without touching a run's)."""

    @property
    def takes_several_writers(self) -> bool:
        """Whether processes may write at once, in turns for each step (`lock.WarehouseTurns`):
        every destination but a DuckDB file, which one process at a time opens to write."""
        return self.destination != "duckdb"

    @contextmanager
    def kept_open(self) -> Iterator[None]:
        """Keeps a DuckDB warehouse open in this process for the block. A load opens the file
        many times (each family's state, its load, the ledger: every open of dlt's is a new
        connection once the last one closed), and each open reads the catalog again (20 ms on a
        warehouse of 90 tables); while one connection stays open, DuckDB attaches the others to
        the open database instead. Other processes (dbt) cannot write the file meanwhile: end
        the block before them. Nothing to keep for other warehouses."""
        if self.duckdb_file is None or not self.duckdb_file.exists():
            yield
            return
        import duckdb

        with duckdb.connect(str(self.duckdb_file)):
            yield

    def require_loaded(self) -> None:
        """One line when a DuckDB warehouse has not been created yet, before anything opens (and
        so creates) the file or a lock beside it."""
        if self.duckdb_file is not None and not self.duckdb_file.exists():
            raise ConfigError(f"no warehouse at {self.duckdb_file} yet: load it first (make run)")

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.identity.encode()).hexdigest()[:12]

    def pipelines_dir(self) -> Path:
        """dlt's working directory parent for this warehouse alone (under DLT_DATA_DIR)."""
        if self.state_dir is not None:
            return self.state_dir
        return Path(get_dlt_pipelines_dir()) / f"{PIPELINE_NAME}-{self.fingerprint}"

    @property
    def snapshot_file(self) -> Optional[Path]:
        """The copy BI tools read (`outputs/snapshot.py`); DuckDB only."""
        return snapshot_of(self.duckdb_file) if self.duckdb_file is not None else None

    def dbt_target(self) -> Path:
        """dbt's target directory (its parse, its results) for this warehouse alone: builds of
        two warehouses at once never read each other's results."""
        return self.pipelines_dir() / "dbt-target"

    def lock_file(self) -> Path:
        """Beside the DuckDB file, or one per PostgreSQL (or other) database: absolute, so runs
        started from different directories still exclude each other."""
        if self.duckdb_file is not None:
            return self.duckdb_file.with_name(self.duckdb_file.name + ".run.lock")
        return self.pipelines_dir() / "run.lock"


def snapshot_of(duckdb_file: Path) -> Path:
    """`data/warehouse.duckdb` -> `data/warehouse.snapshot.duckdb`."""
    return duckdb_file.with_name(f"{duckdb_file.stem}.snapshot{duckdb_file.suffix or '.duckdb'}")


NOT_DLT = "not like '\\_dlt%' escape '\\'"
"""What tells our names from dlt's bookkeeping (`_dlt_loads`, `_dlt_id`): `_` is a wildcard in LIKE."""


def our_tables_sql(schemas: Sequence[str], catalog: Optional[str] = None) -> str:
    """SQL for (schema, table) of every table and view of `schemas`, dlt's own left out."""
    names = ", ".join(f"'{schema}'" for schema in schemas)
    attached = f" and table_catalog = '{catalog}'" if catalog else ""
    return (
        "select table_schema, table_name from information_schema.tables"
        f" where table_schema in ({names}) and table_name {NOT_DLT}{attached} order by 1, 2"
    )


def our_columns_sql(schemas: Sequence[str], where: str = "") -> str:
    """SQL for (`schema.table`, column) of those tables, dlt's columns left out, in order;
    `where`: a further condition on information_schema.columns."""
    names = ", ".join(f"'{schema}'" for schema in schemas)
    return (
        "select table_schema || '.' || table_name, column_name from information_schema.columns"
        f" where table_schema in ({names}) and table_name {NOT_DLT} and column_name {NOT_DLT}"
        f"{' and ' + where if where else ''} order by 1, 2"
    )


def duckdb_path() -> str:
    """The DuckDB file: `DESTINATION__DUCKDB__CREDENTIALS`, else `data/warehouse.duckdb`."""
    return str(dlt.config.get("destination.duckdb.credentials", str) or DEFAULT_DUCKDB)


def configured_destination() -> str:
    """The destination `DESTINATION_TYPE` names: duckdb unless it says (postgres, or another dlt
    destination)."""
    return os.environ.get("DESTINATION_TYPE") or "duckdb"


def resolve(destination: str = "duckdb", duckdb_file: Optional[str] = None) -> Warehouse:
    """The configured warehouse of `destination` (a dlt destination name)."""
    if destination == "duckdb":
        path = Path(duckdb_file or duckdb_path()).expanduser().resolve()
        return Warehouse("duckdb", f"duckdb:{path}", path)
    if destination == "postgres":
        return Warehouse("postgres", postgres_identity())
    return Warehouse(destination, f"{destination}:{DATASET}")


def postgres_credentials() -> Any:
    """The PostgreSQL credentials, resolved the way dlt resolves them for the destination."""
    from dlt.common.configuration import resolve_configuration
    from dlt.destinations.impl.postgres.configuration import PostgresCredentials

    return resolve_configuration(PostgresCredentials(), sections=("destination", "postgres"))


def postgres_identity() -> str:
    """user@host:port/database/dataset, resolved the way dlt resolves the credentials."""
    credentials = postgres_credentials()
    return (
        f"postgres:{credentials.username}@{credentials.host}:{credentials.port}"
        f"/{credentials.database}/{DATASET}"
    )
