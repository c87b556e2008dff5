"""Whole-warehouse comparison: two warehouses loaded along different paths (a clean run, a run
after faults, thirty daily runs) must hold the same rows. Used by the tests and the soak."""

from pathlib import Path
from typing import Dict, List

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
    """Every raw and analytics table's rows, without dlt's load columns and run times, sorted:
    for comparing two warehouses whole."""
    with duckdb.connect(str(db), read_only=True) as con:
        columns = con.execute(our_columns_sql(("raw", "analytics"))).fetchall()
        by_table: Dict[str, List[str]] = {}
        for table, column in columns:
            if column not in RUN_TIMES and table not in RUN_RECORDS:
                by_table.setdefault(table, []).append(f'"{column}"')
        return {
            table: sorted(con.execute(f"select {', '.join(cols)} from {table}").fetchall(), key=repr)
            for table, cols in by_table.items()
        }
