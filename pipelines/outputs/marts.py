"""Reading the `analytics` marts: read-only on DuckDB (beside BI tools reading it too), through
dlt's SQL client on any other destination. Shared by the report and the alerts."""

import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Iterator, List, Optional

import duckdb

from pipelines.common.errors import ConfigError
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
    """A client that reads the warehouse in a UTC session (timestamps come back in UTC whatever
    the host's zone): a DuckDB file is opened read-only (beside BI tools reading it too), any
    other destination through dlt's SQL client. A DuckDB file that does not exist is one line
    naming it, and is never created."""
    if warehouse.duckdb_file is None:
        from pipelines.engine.runner import make_pipeline

        with make_pipeline(warehouse).sql_client() as client:
            client.execute_sql("set time zone 'UTC'")
            yield client
        return
    warehouse.require_loaded()
    with duckdb.connect(str(warehouse.duckdb_file), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        yield DuckDBReader(con)


def require_marts(client: Any, warehouse: Warehouse) -> None:
    """One line when dbt has not built the marts of `warehouse` yet."""
    if not table_exists(client, "analytics", "source_freshness"):
        raise ConfigError(f"{warehouse.identity} has no marts yet: load it first (make run)")


def loaded_at(client: Any) -> Optional[datetime]:
    """When the warehouse last loaded a family (UTC): what a page or a message is as of."""
    rows = query(client, "select max(last_ok_at) as loaded_at from analytics.source_freshness")
    value = rows[0]["loaded_at"] if rows else None
    if not isinstance(value, datetime):
        return None
    return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)


def as_of(warehouse: Warehouse, loaded: Optional[datetime]) -> str:
    """`the warehouse <identity>, loaded <time> UTC`: which warehouse a page or message read."""
    when = f"loaded {loaded:%Y-%m-%d %H:%M} UTC" if loaded else "never loaded"
    return f"the warehouse {warehouse.identity}, {when}"


@dataclass
class DuckDBReader:
    """A read-only DuckDB connection that answers like dlt's SQL client (`execute_query`)."""

    con: Any

    @contextmanager
    def execute_query(self, sql: str) -> Iterator[Any]:
        yield self.con.execute(sql)


RELATION = re.compile(r"\b(?:analytics|raw)\.(\w+)(\s+as\s+\w+)?", re.IGNORECASE)
"""A mart or raw table named in a query, with its alias if it has one."""


def scoped(sql: str, workspace: str) -> str:
    """`sql` reading only `workspace`'s rows: each mart or raw table it names is read through a
    subquery keeping the rows of that workspace label (every relation the report and the alerts
    read carries `workspace_label`; Campaign Cleaner's rows belong to no workspace, so they are
    left out). The subquery keeps the relation's alias, or takes its name as one."""
    label = workspace.replace("'", "''")

    def read_one(found: "re.Match[str]") -> str:
        alias = found[2] or f" as {found[1]}"
        return f"(select * from {found[0].split()[0]} where workspace_label = '{label}'){alias}"

    return RELATION.sub(read_one, sql)


SOURCE_NAMES = {"instantly": "Instantly", "campaign_cleaner": "Campaign Cleaner"}
"""The placement sources as the page and the alerts name them."""
WORST_CELLS = """
select * from analytics.placement_cells_latest
where worst_rank_in_run <= {per_test}
order by inbox_rate_high, inbox_rate, run_date desc, source, test_name, geo, esp, recipient_type
"""
"""The worst cells (geo / ESP / type) of each test's latest run, `{per_test}` per test, worst first
by the high end of their 95% interval, among cells with enough seeds to rank
(`placement_cells_latest`): the review's panel and the worst-cell alert read the same cells."""
