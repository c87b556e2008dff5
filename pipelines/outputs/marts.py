"""Reading the `analytics` marts: read-only on DuckDB (beside BI tools reading it too), through
dlt's SQL client on any other destination. Shared by the report and the alerts."""

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List

import duckdb

from pipelines.engine.warehouse import Warehouse

Rows = List[Dict[str, Any]]


def query(client: Any, sql: str) -> Rows:
    """Rows as dicts, from a dlt SQL client."""
    with client.execute_query(sql) as cursor:
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def table_exists(client: Any, schema: str, table: str) -> bool:
    """Whether the warehouse has `schema.table` yet (a new warehouse has neither marts nor alerts)."""
    return bool(query(client, "select table_name from information_schema.tables"
                              f" where table_schema = '{schema}' and table_name = '{table}'"))


@contextmanager
def reader(warehouse: Warehouse) -> Iterator[Any]:
    """A client that reads the warehouse: a DuckDB file is opened read-only (beside BI tools
    reading it too), any other destination through dlt's SQL client."""
    if warehouse.duckdb_file is None:
        from pipelines.engine.runner import make_pipeline

        with make_pipeline(warehouse).sql_client() as client:
            yield client
        return
    with duckdb.connect(str(warehouse.duckdb_file), read_only=True) as con:
        yield DuckDBReader(con)


@dataclass
class DuckDBReader:
    """A read-only DuckDB connection that answers like dlt's SQL client (`execute_query`)."""

    con: Any

    @contextmanager
    def execute_query(self, sql: str) -> Iterator[Any]:
        yield self.con.execute(sql)
