"""Builds the pipeline, runs the configured sources into schema `raw`, and reports."""

import asyncio
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable, ContextManager, Dict, List, Optional, Sequence

import dlt
from dlt.sources import DltSource

from pipelines.common.tracking import RunStats
from pipelines.explain import explain
from pipelines.warehouse import DATASET, PIPELINE_NAME, Warehouse

DEFAULT_PARALLEL = 10
"""Pipelines (agency workspaces) extracted at once, unless `SOURCES__INSTANTLY__PARALLEL_WORKSPACES` says."""


@dataclass
class ResourceReport:
    name: str
    rows: int
    requests: int
    seconds: float
    retries: int = 0
    throttled: int = 0

    def line(self) -> str:
        return (
            f"resource {self.name}: {self.rows:,} rows, {self.requests:,} requests,"
            f" {self.retries:,} retries, {self.throttled:,} throttled (429), {self.seconds:.1f}s"
        )


@dataclass
class RunReport:
    """What one run loaded and asked for: per table, per service and per resource."""

    rows: Dict[str, int] = field(default_factory=dict)
    requests: Dict[str, int] = field(default_factory=dict)
    resources: List[ResourceReport] = field(default_factory=list)
    seconds: float = 0.0
    pending_rows: Optional[int] = None
    """Rows of a load package an earlier run left pending, finished before this run's extract."""
    stats: RunStats = field(default_factory=RunStats)
    """Everything the source counted, per endpoint included (for the bench)."""

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def skipped(self) -> List[str]:
        """One line per item the source skipped while the rest loaded."""
        return self.stats.skipped


def make_pipeline(
    warehouse: Warehouse,
    pipelines_dir: Optional[str] = None,
    pipeline_name: str = PIPELINE_NAME,
) -> dlt.Pipeline:
    """The pipeline of one warehouse, with a working directory of that warehouse alone; its state
    (incremental cursors) also lives in the warehouse, so a fresh machine pointed at the same
    warehouse continues where the last run stopped."""
    if warehouse.duckdb_file is not None:
        warehouse.duckdb_file.parent.mkdir(parents=True, exist_ok=True)
        target: Any = dlt.destinations.duckdb(credentials=str(warehouse.duckdb_file))
    else:
        target = warehouse.destination
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=target,
        dataset_name=DATASET,
        pipelines_dir=pipelines_dir or str(warehouse.pipelines_dir()),
    )


def finish_pending(pipeline: dlt.Pipeline) -> Optional[int]:
    """Loads what an earlier run extracted or normalised but did not load (its load failed, or
    it was killed), and returns its row count; None when nothing was pending.

    `pipeline.run` would load such a package *instead of* extracting this run's data, and say so
    only in a raw warning: finishing it first lets this run extract and load as usual.
    """
    if not pipeline.has_pending_data:
        return None
    if pipeline.list_extracted_load_packages():
        pipeline.normalize()
    load_ids = list(pipeline.list_normalized_load_packages())
    pipeline.load()
    return loaded_rows(pipeline, load_ids)


def loaded_rows(pipeline: dlt.Pipeline, load_ids: List[str]) -> int:
    """Rows the given load packages put in the dataset's root tables (the ones a resource names)."""
    if not load_ids:
        return 0
    schema = pipeline.default_schema
    ids = ", ".join(f"'{load_id}'" for load_id in load_ids)
    total = 0
    with pipeline.sql_client() as client:
        for table in schema.data_tables():
            if table.get("parent") or "_dlt_load_id" not in table.get("columns", {}):
                continue
            qualified = client.make_qualified_table_name(table["name"])
            total += client.execute_sql(f"select count(*) from {qualified} where _dlt_load_id in ({ids})")[0][0]
    return total


Watch = Callable[[RunStats, Sequence[str]], ContextManager[None]]
"""Shows a run while it goes (the console's progress bars): given its stats and resource names."""


def run(
    pipeline: dlt.Pipeline,
    make_source: Callable[[RunStats], DltSource],
    watch: Optional[Watch] = None,
    load_lock: Optional[ContextManager[Any]] = None,
    adopt_unstamped: bool = False,
) -> RunReport:
    """Runs one source: finishes what an earlier run left pending, then extracts, normalises and
    loads; raises on any failure (nothing half-merged is kept: dlt loads a package's merge in one
    transaction and advances cursors only with it). The source counts its requests, retries and
    seconds in a RunStats made here, which the report is built from.

    Extraction (the slow, rate-limited part) may run beside other pipelines' extractions; every
    step that touches the warehouse holds `load_lock`, so one pipeline writes at a time.
    `adopt_unstamped`: rows loaded before rows carried a workspace get the workspace this run
    read (single-key form), before anything merges.
    """
    lock = load_lock if load_lock is not None else nullcontext()
    stats = RunStats()
    source = make_source(stats)
    started = time.monotonic()
    with lock:
        pending_rows = finish_pending(pipeline)
        pipeline.sync_destination()  # a fresh machine restores the state stored in the warehouse
    with watch(stats, list(source.selected_resources)) if watch else nullcontext():
        pipeline.extract(source, loader_file_format=file_format(pipeline))
    with lock:
        if adopt_unstamped and stats.workspace_id:
            adopt_unstamped_rows(pipeline, source.name, stats.workspace_id)
        normalize = pipeline.normalize()
        pipeline.load()
    report = RunReport(
        seconds=time.monotonic() - started, pending_rows=pending_rows, stats=stats
    )
    report.rows = {
        table: count for table, count in normalize.row_counts.items() if not table.startswith("_dlt")
    }
    report.requests = {service: requests.total for service, requests in stats.services.items()}
    requests, retries, throttled = (stats.by_resource(kind) for kind in ("requests", "retries", "throttled"))
    tables = tables_by_resource(pipeline, source.name)
    report.resources = [
        ResourceReport(
            name, sum(report.rows.get(table, 0) for table in tables.get(name, [name])), requests[name],
            stats.seconds.get(name, 0.0), retries[name], throttled[name],
        )
        for name in source.selected_resources
    ]
    return report


WORKSPACE_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")


def adopt_unstamped_rows(pipeline: dlt.Pipeline, schema_name: str, workspace_id: str) -> None:
    """Gives `workspace_id` to the rows of `schema_name`'s tables that have none: those loaded
    before rows carried their workspace, by the single key, so all of that workspace. Run before
    a load merges on keys that now include the workspace (no row is then duplicated)."""
    if schema_name not in pipeline.schemas or not WORKSPACE_ID.match(workspace_id):
        return
    roots = [t["name"] for t in pipeline.schemas[schema_name].data_tables() if not t.get("parent")]
    with pipeline.sql_client() as client:
        existing = {
            row[0] for row in client.execute_sql(
                f"select table_name from information_schema.tables where table_schema = '{DATASET}'"
            )
        }
        for name in roots:
            if name not in existing:
                continue
            table = client.make_qualified_table_name(name)
            client.execute_sql(f"alter table {table} add column if not exists workspace_id varchar")
            client.execute_sql(f"update {table} set workspace_id = '{workspace_id}' where workspace_id is null")


def tables_by_resource(pipeline: dlt.Pipeline, schema_name: str) -> Dict[str, List[str]]:
    """The root tables each resource writes (the records resource writes the stats table too)."""
    out: Dict[str, List[str]] = {}
    if schema_name in pipeline.schemas:
        for table in pipeline.schemas[schema_name].data_tables():
            if table.get("resource") and not table.get("parent"):
                out.setdefault(table["resource"], []).append(table["name"])
    return out


def file_format(pipeline: dlt.Pipeline) -> Optional[str]:
    """jsonl for DuckDB: its default, one large INSERT per file, costs DuckDB ~4x the memory
    to parse (measured: 710 MB against 174 MB peak for the same load); others keep dlt's."""
    return "jsonl" if pipeline.destination.destination_name == "duckdb" else None


@dataclass(frozen=True)
class SourceSpec:
    """A source to load: its settings section (`sources.<section>`) and a factory, so that a
    source's bad settings fail that source alone, reported under its own variable names.

    `pipeline_name`: the pipeline (and so the state) it loads with: sources of different
    pipelines load side by side. `label`: the workspace it reads, named on its output lines.
    `adopt_unstamped`: see `run`."""

    section: str
    make: Callable[[RunStats], DltSource]
    pipeline_name: str = PIPELINE_NAME
    label: Optional[str] = None
    adopt_unstamped: bool = False


def configured_sources(backfill: Optional[str] = None) -> List[SourceSpec]:
    """Every source to load: each Instantly workspace, and Campaign Cleaner when its key is set.
    `backfill` (FROM[:TO]) re-pulls those UTC days of Instantly's day-based tables."""
    from pipelines.campaign_cleaner import campaign_cleaner

    specs = instantly_sources(backfill)
    if dlt.secrets.get("sources.campaign_cleaner.api_key"):
        specs.append(SourceSpec("campaign_cleaner", lambda run: campaign_cleaner(run=run)))
    else:
        print("notice: Campaign Cleaner skipped (SOURCES__CAMPAIGN_CLEANER__API_KEY is not set)")
    return specs


def workspace_pipeline(label: Optional[str]) -> str:
    """The pipeline (so the state) of an agency workspace; the single key keeps `deliverability`."""
    return f"{PIPELINE_NAME}-{label}" if label else PIPELINE_NAME


def instantly_sources(backfill: Optional[str]) -> List[SourceSpec]:
    """The single-key form (`API_KEY`): one source on the `deliverability` pipeline, as always.
    Agency mode (`WORKSPACES`, `WORKSPACE_GROUP_KEY`): one source per workspace, each on a pipeline of its own, after
    one `GET /workspaces/current` per key: a revoked or unpaid key fails alone, and a key of a
    workspace another label already holds is skipped with a notice."""
    from pipelines.instantly import instantly
    from pipelines.instantly.workspaces import (
        configured_keys,
        current_workspaces,
        duplicate_of,
        preflight_client,
    )

    base_url = dlt.config.get("sources.instantly.base_url") or None
    keys = configured_keys(base_url)
    if keys is None:
        return [SourceSpec("instantly", lambda run: instantly(run=run, backfill=backfill), adopt_unstamped=True)]
    found = asyncio.run(current_workspaces(keys, lambda key: preflight_client(key, base_url)))
    duplicates = duplicate_of(found)
    specs = []
    for key in keys:
        if key.label in duplicates:
            print(f"notice: workspace {key.label} skipped: its key is for the workspace {duplicates[key.label]} loads")
            continue
        problem = found[key.label]

        def make(run: RunStats, key: Any = key, problem: Any = problem) -> DltSource:
            if isinstance(problem, BaseException):
                raise problem
            return instantly(
                api_key=key.api_key, workspace_label=key.label, key_hint=key.key_hint, as_workspace=key.as_workspace,
                run=run, backfill=backfill,
            )

        specs.append(SourceSpec("instantly", make, workspace_pipeline(key.label), key.label))
    return specs


@dataclass
class LoadOutcome:
    """What `load_all` did: a report per source that loaded, one line per failure."""

    reports: List[RunReport] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(r.total_rows + (r.pending_rows or 0) for r in self.reports)

    @property
    def requests(self) -> int:
        return sum(sum(r.requests.values()) for r in self.reports)

    @property
    def tables(self) -> int:
        return len({table for r in self.reports for table in r.rows})


def load_all(
    pipeline_named: Callable[[str], dlt.Pipeline],
    specs: Sequence[SourceSpec],
    say: Callable[[str], None],
    watch: Optional[Watch] = None,
    parallel: Optional[int] = None,
) -> LoadOutcome:
    """Loads each source on its own (one failing does not stop the others), saying one line per
    resource (prefixed with the workspace's label in agency mode), and one for a pending package
    finished first. Sources of one pipeline load one after another; different pipelines (the
    workspaces of an agency) extract side by side, `parallel` at a time (the
    `PARALLEL_WORKSPACES` setting), and write to the warehouse one at a time. Items a source
    skipped while the rest loaded (e.g. one unreadable seed-test job) end up in `errors` too."""
    outcome = LoadOutcome()
    groups: Dict[str, List[SourceSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.pipeline_name, []).append(spec)
    load_lock = threading.Lock()
    output_lock = threading.Lock()

    def load_group(name: str, group: List[SourceSpec], shown: Optional[Watch]) -> None:
        pipeline = pipeline_named(name)
        for spec in group:
            prefix = f"{spec.label}: " if spec.label else ""
            try:
                report = run(pipeline, spec.make, shown, load_lock, spec.adopt_unstamped)
            except Exception as exc:  # noqa: BLE001 - every failure ends as one line
                with output_lock:
                    outcome.errors.append(prefix + explain(exc, spec.section))
                continue
            with output_lock:
                outcome.reports.append(report)
                if report.pending_rows is not None:
                    say(f"{prefix}finished the load an earlier run left pending: {report.pending_rows:,} rows")
                for resource in report.resources:
                    say(prefix + resource.line())
                outcome.errors.extend(prefix + line for line in report.skipped)

    if len(groups) == 1:
        for name, group in groups.items():
            load_group(name, group, watch)
        return outcome
    workers = parallel or int(dlt.config.get("sources.instantly.parallel_workspaces") or DEFAULT_PARALLEL)
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(groups)))) as pool:
        for done in [pool.submit(load_group, name, group, None) for name, group in groups.items()]:
            done.result()
    return outcome
