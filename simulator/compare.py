"""Whole-warehouse comparison: two warehouses loaded along different paths (a clean run, a run
after faults, thirty daily runs) must hold the same rows. Used by the tests and the soak."""

from pathlib import Path
from typing import Any, Callable, Dict, List

import duckdb

from pipelines.engine.warehouse import our_columns_sql

RUN_TIMES = {"loaded_at", "last_run_at", "first_polled_at", "last_polled_at"}
"""Columns that say when a run happened: they differ between any two runs."""
RUN_RECORDS = {
    "raw.run_ledger", "analytics.run_ledger", "analytics.source_freshness", "raw.alert_state", "raw.alert_deliveries",
}
"""Tables that record the runs themselves (and the alerts they raised, stamped with their times):
they differ between any two histories."""


def warehouse_tables(db: Path) -> Dict[str, List[tuple]]:
    """Every raw and analytics table's rows of a DuckDB warehouse (`tables_of`)."""
    with duckdb.connect(str(db), read_only=True) as con:
        return tables_of(lambda sql: con.execute(sql).fetchall())


def postgres_tables(**connection: Any) -> Dict[str, List[tuple]]:
    """Every raw and analytics table's rows of a PostgreSQL warehouse (`tables_of`);
    `connection`: psycopg2's keywords (host, port, user, dbname)."""
    import psycopg2

    with psycopg2.connect(**connection) as con:
        cursor = con.cursor()

        def fetch(sql: str) -> List[tuple]:
            cursor.execute(sql)
            return cursor.fetchall()

        return tables_of(fetch)


def tables_of(fetch: Callable[[str], List[tuple]]) -> Dict[str, List[tuple]]:
    """Every raw and analytics table's rows, without dlt's load columns and run times, sorted:
    for comparing two warehouses whole."""
    by_table: Dict[str, List[str]] = {}
    for table, column in fetch(our_columns_sql(("raw", "analytics"))):
        if column not in RUN_TIMES and table not in RUN_RECORDS:
            by_table.setdefault(table, []).append(f'"{column}"')
    return {table: sorted(fetch(f"select {', '.join(cols)} from {table}"), key=repr) for table, cols in by_table.items()}
