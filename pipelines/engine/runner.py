"""Builds a warehouse's pipelines, loads each family into schema `raw` on its own (one failing
keeps nothing and stops nothing else), and reports what each loaded and asked."""

import logging
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, ContextManager, Dict, List, Optional, Sequence

import dlt
import pendulum
from dlt.common.destination import TLoaderFileFormat
from dlt.sources import DltSource

from pipelines.common.errors import WorkspaceUnavailable
from pipelines.common.tracking import RunStats
from pipelines.engine.explain import explain
from pipelines.engine.families import Family, refusal
from pipelines.engine.warehouse import DATASET, PIPELINE_NAME, Warehouse

log = logging.getLogger(__name__)

DEFAULT_PARALLEL = 10
"""Workspaces whose families extract at once, unless `SOURCES__INSTANTLY__PARALLEL_WORKSPACES` says."""


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


def make_pipeline(warehouse: Warehouse, pipeline_name: str = PIPELINE_NAME) -> dlt.Pipeline:
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
        pipelines_dir=str(warehouse.pipelines_dir()),
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


def write_computed(pipeline: dlt.Pipeline, data: Any) -> None:
    """Loads rows our own code computed this run (the run ledger's, the alert state's), behind
    whatever an earlier write of the same pipeline left pending.

    Never `pipeline.run`: with a package pending, it loads that package *instead of* `data` and
    says so only in a warning, so the run after a failed write would lose its own rows. Extracting
    first queues these rows behind the pending package, and one load takes both, oldest first; if
    that load fails too, both stay pending for the next write.
    """
    pipeline.extract(data, loader_file_format=file_format(pipeline))
    pipeline.normalize()
    pipeline.load()


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
            qualified = client.make_qualified_table_name(str(table["name"]))
            counted = client.execute_sql(f"select count(*) from {qualified} where _dlt_load_id in ({ids})")
            total += counted[0][0] if counted else 0
    return total


FamilyWatch = Callable[[RunStats, Sequence[str]], ContextManager[None]]
"""Shows one family's run while it goes: given its stats and resource names."""
Watch = Callable[[Optional[str], RunStats, Sequence[str]], ContextManager[None]]
"""Shows the runs of a load while they go (the console's progress board): a family's `FamilyWatch`,
given first its workspace's label (None: the single key)."""
BeforeMerge = Callable[[dlt.Pipeline, str], None]
"""A source's fix-up of the rows already in the warehouse, made before this run's rows merge:
given the pipeline and the source's schema name."""


def run(
    pipeline: dlt.Pipeline,
    make_source: Callable[[RunStats], DltSource],
    watch: Optional[FamilyWatch] = None,
    load_lock: Optional[ContextManager[Any]] = None,
    before_merge: Optional[BeforeMerge] = None,
    stats: Optional[RunStats] = None,
) -> RunReport:
    """Runs one source: finishes what an earlier run left pending, then extracts, normalises and
    loads. The source counts its requests, retries and seconds in a RunStats made here, which
    the report is built from.

    On any failure the run keeps nothing: dlt's `abort_packages` drops what this run extracted
    or normalised and puts the local state (the cursors) back where it stood before, so the
    next run asks the same window again. The state stored in the warehouse moves only with a
    completed load, in the same package as its rows.

    Extraction (the slow, rate-limited part) may run beside other pipelines' extractions; every
    step that touches the warehouse holds `load_lock`, so one pipeline writes at a time.
    `before_merge`: the source's fix-up (`SourceSpec.before_merge`), under the lock before
    anything merges. `stats`: where the source counts (the caller's, to read what a failed run
    asked for).
    """
    lock = load_lock if load_lock is not None else nullcontext()
    stats = stats if stats is not None else RunStats()
    source = make_source(stats)
    started = time.monotonic()
    try:
        with lock:
            pending_rows = finish_pending(pipeline)
            pipeline.sync_destination()  # a fresh machine restores the state stored in the warehouse
        with watch(stats, list(source.selected_resources)) if watch else nullcontext():
            pipeline.extract(source, loader_file_format=file_format(pipeline))
        with lock:
            if before_merge is not None:
                before_merge(pipeline, source.name)
            normalize = pipeline.normalize()
            pipeline.load()
    except BaseException:
        with lock:
            discard(pipeline)
        raise
    report = RunReport(
        seconds=time.monotonic() - started, pending_rows=pending_rows, stats=stats
    )
    report.rows = {
        table: count for table, count in normalize.row_counts.items() if not table.startswith("_dlt")
    }
    report.requests = {service: requests.total for service, requests in stats.services.items()}
    requests, retries, throttled = (stats.by_resource(kind) for kind in ("requests", "retries", "throttled"))
    tables = tables_by_resource(pipeline, source.name)
    steps = [name for name in requests if name and name not in source.selected_resources]  # e.g. the activity map
    report.resources = [
        ResourceReport(
            name, sum(report.rows.get(table, 0) for table in tables.get(name, [name])), requests[name],
            stats.seconds_of(name), retries[name], throttled[name],
        )
        for name in [*source.selected_resources, *steps]
    ]
    return report


def discard(pipeline: dlt.Pipeline) -> None:
    """Drops a failed run's pending packages and restores the local state they started from
    (dlt's abort). A package the warehouse refused completes as aborted in `_dlt_loads`."""
    try:
        pipeline.abort_packages()
    except Exception:  # noqa: BLE001 - the warehouse may be what failed: then start afresh
        log.warning("abort of %s failed; dropping its local state", pipeline.pipeline_name, exc_info=True)
        pipeline.drop()


def tables_by_resource(pipeline: dlt.Pipeline, schema_name: str) -> Dict[str, List[str]]:
    """The root tables each resource writes (the records resource writes the stats table too)."""
    out: Dict[str, List[str]] = {}
    if schema_name in pipeline.schemas:
        for table in pipeline.schemas[schema_name].data_tables():
            resource = table.get("resource")
            if resource and not table.get("parent"):
                out.setdefault(resource, []).append(str(table["name"]))
    return out


def file_format(pipeline: dlt.Pipeline) -> Optional[TLoaderFileFormat]:
    """jsonl for DuckDB: its default, one large INSERT per file, costs DuckDB ~4x the memory
    to parse (measured: 710 MB against 174 MB peak for the same load); others keep dlt's."""
    return "jsonl" if pipeline.destination.destination_name == "duckdb" else None


@dataclass(frozen=True)
class SourceSpec:
    """One family of one account to load: its settings section (`sources.<section>`), a factory
    of its source, and the pipeline (so the state) it loads with. A source's bad settings fail
    it alone, reported under its own variable names.

    `label`: the workspace, named on output lines in agency mode (None: the single key).
    `workspace_id`: the workspace's id, for the ledger.
    `before_merge`: the source's fix-up of earlier rows (see `run`)."""

    section: str
    make: Callable[[RunStats], DltSource]
    family: Family
    pipeline_name: str = PIPELINE_NAME
    label: Optional[str] = None
    workspace_id: Optional[str] = None
    before_merge: Optional[BeforeMerge] = None

    @property
    def workspace(self) -> str:
        """The workspace label of its ledger rows (`default` for the single key)."""
        return self.label or DEFAULT_LABEL


DEFAULT_LABEL = "default"
"""The ledger's workspace of the single key (and of Campaign Cleaner, which has none)."""


@dataclass
class FamilyResult:
    """How one family of one workspace ended in a run: a row of the run ledger."""

    spec: SourceSpec
    status: str
    """`ok`, `unsupported` (the workspace does not allow it), `failed` or `skipped`."""
    started_at: pendulum.DateTime
    ended_at: pendulum.DateTime
    stats: RunStats
    """What it asked of the APIs, whether it loaded or not."""
    report: Optional[RunReport] = None
    cause: str = ""
    """The one line saying why it is not `ok` (the error, or what would enable it)."""
    whole_workspace: bool = False
    """It failed because its workspace could not be read at all (one line for every family)."""

    @property
    def prefix(self) -> str:
        """Its lines' prefix: the workspace's label in agency mode."""
        return f"{self.spec.label}: " if self.spec.label else ""

    @property
    def line(self) -> str:
        """What is printed for a family that did not load (empty for one that did)."""
        prefix = self.prefix
        if self.whole_workspace:
            return f"{prefix}workspace {self.spec.workspace} not loaded: {self.cause}"
        if self.status == "unsupported":
            return (f"{prefix}{self.spec.family.title} not loaded for workspace {self.spec.workspace}: {self.cause};"
                    " its tables are left as they were")
        if self.status == "failed":
            return f"{prefix}{self.spec.family.title} failed: {self.cause}"
        return ""


@dataclass
class LoadOutcome:
    """What `load_all` did: one result per family of each workspace."""

    results: List[FamilyResult] = field(default_factory=list)
    interrupted: bool = False
    """Ctrl-C stopped the load: the families that had not finished failed, keeping nothing."""

    @property
    def reports(self) -> List[RunReport]:
        return [r.report for r in self.results if r.report is not None]

    @property
    def failed(self) -> List[FamilyResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def errors(self) -> List[str]:
        """One line per failure: families of a workspace that failed for the same cause share
        it (a refused key, a disk full), then the items a source skipped while the rest loaded."""
        causes: Dict[tuple, List[FamilyResult]] = {}
        for result in self.failed:
            causes.setdefault((result.spec.label, result.whole_workspace, result.cause), []).append(result)
        lines = [
            group[0].line if len(group) == 1 or group[0].whole_workspace else
            group[0].prefix + f"{', '.join(r.spec.family.title for r in group)} failed: {group[0].cause}"
            for group in causes.values()
        ]
        lines += [
            r.prefix + item for r in self.results if r.report for item in r.report.skipped
        ]
        return list(dict.fromkeys(lines))

    @property
    def failure_words(self) -> List[str]:
        """The failures for a summary: one per workspace that could not be read at all (whatever
        its families), then the count of the other families that failed."""
        unread = list(dict.fromkeys(r.spec.workspace for r in self.failed if r.whole_workspace))
        others = sum(not r.whole_workspace for r in self.failed)
        words = [f"workspace {label} not read" for label in unread]
        return words + ([f"{others} famil{'ies' if others > 1 else 'y'} failed"] if others else [])

    @property
    def notices(self) -> List[str]:
        """One line per cause a workspace does not allow families for (a missing scope names its
        families once), then what sources noticed."""
        causes: Dict[tuple, List[FamilyResult]] = {}
        for result in self.results:
            if result.status == "unsupported":
                causes.setdefault((result.spec.label, result.cause), []).append(result)
        lines = [
            group[0].line if len(group) == 1 else
            group[0].prefix + f"{', '.join(r.spec.family.title for r in group)} not loaded for workspace"
            f" {group[0].spec.workspace}: {group[0].cause}; their tables are left as they were"
            for group in causes.values()
        ]
        lines += [
            r.prefix + item for r in self.results if r.report for item in r.report.stats.notices
        ]
        return list(dict.fromkeys(lines))

    @property
    def rows(self) -> int:
        return sum(r.total_rows + (r.pending_rows or 0) for r in self.reports)

    @property
    def requests(self) -> int:
        """Every request made, by families that loaded and by those that did not."""
        return sum(service.total for r in self.results for service in r.stats.services.values())

    @property
    def tables(self) -> int:
        return len({table for r in self.reports for table in r.rows})


def load_family(
    pipeline: dlt.Pipeline, spec: SourceSpec, watch: Optional[Watch] = None, load_lock: Optional[ContextManager[Any]] = None,
    stop: Optional[threading.Event] = None,
) -> FamilyResult:
    """Loads one family and says how it ended. A refusal (402, 403) of an optional family makes
    it `unsupported`; any other error fails it (and a refusal of a required one). Nothing of a
    family that did not load is kept (see `run`). `stop`: the load's interruption."""
    started, stats = pendulum.now("UTC"), RunStats(stop=stop or threading.Event())
    ended = partial(FamilyResult, spec, started_at=started, stats=stats)
    try:
        family_watch = partial(watch, spec.label) if watch else None
        report = run(pipeline, spec.make, family_watch, load_lock, spec.before_merge, stats)
    except WorkspaceUnavailable as exc:
        cause = explain(exc.__cause__ or exc, spec.section)
        return ended("failed", ended_at=pendulum.now("UTC"), cause=cause, whole_workspace=True)
    except Exception as exc:  # noqa: BLE001 - every failure ends as one line
        refused = refusal(exc)
        if refused is not None and not spec.family.required:
            log.info("%s not loaded: %s", spec.family.title, refused)  # the API's whole answer
            reason = f"{spec.family.unsupported_because(refused)} (the API answered HTTP {refused.status})"
            return ended("unsupported", ended_at=pendulum.now("UTC"), cause=reason)
        return ended("failed", ended_at=pendulum.now("UTC"), cause=explain(exc, spec.section))
    return ended("ok", ended_at=pendulum.now("UTC"), report=report)


def load_all(
    pipeline_named: Callable[[str], dlt.Pipeline],
    specs: Sequence[SourceSpec],
    watch: Optional[Watch] = None,
    parallel: Optional[int] = None,
) -> LoadOutcome:
    """Loads each family on its own (one failing does not stop the others). Families of one
    pipeline load one after another; different pipelines (each family of each workspace) extract
    side by side, the families of `parallel` workspaces at a time (the `PARALLEL_WORKSPACES`
    setting), and write to the warehouse one at a time. Then says what loaded (`say_loaded`)."""
    outcome = LoadOutcome()
    groups: Dict[str, List[SourceSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.pipeline_name, []).append(spec)
    load_lock = threading.Lock()
    results_lock = threading.Lock()
    stop = threading.Event()

    def load_group(name: str, group: List[SourceSpec]) -> None:
        pipeline = pipeline_named(name)
        for spec in group:
            result = load_family(pipeline, spec, watch, load_lock, stop)
            with results_lock:
                outcome.results.append(result)

    workspaces = parallel or int(dlt.config.get("sources.instantly.parallel_workspaces") or DEFAULT_PARALLEL)
    workers = workspaces * max(Counter(spec.workspace for spec in specs).values(), default=1)
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(groups)))) as pool:
        running = [pool.submit(load_group, name, group) for name, group in groups.items()]
        try:
            for done in running:
                done.result()
        except KeyboardInterrupt:  # Ctrl-C: every client stops asking, each family ends as it stands
            stop.set()
            outcome.interrupted = True
            for done in running:
                done.exception()
    order = {spec.pipeline_name: n for n, spec in enumerate(specs)}
    outcome.results.sort(key=lambda r: order[r.spec.pipeline_name])
    return outcome


def say_loaded(results: Sequence[FamilyResult], say: Callable[[str], None]) -> None:
    """One line per resource, in the order of the specs, and one per pending package finished
    first. Agency mode (workspaces with labels) says one line per workspace instead, so fifty
    clients are fifty lines; its per-resource lines go to the log file."""
    agency = any(result.spec.label for result in results)
    by_workspace: Dict[str, List[FamilyResult]] = {}
    for result in results:
        by_workspace.setdefault(result.spec.workspace, []).append(result)
        report, prefix = result.report, result.prefix
        if report is None:
            continue
        if report.pending_rows is not None:
            say(f"{prefix}finished the load an earlier run left pending: {report.pending_rows:,} rows")
        for resource in report.resources:
            (log.info if agency else say)(prefix + resource.line())
    if not agency:
        return
    for label, group in by_workspace.items():
        rows = sum(r.report.total_rows for r in group if r.report)
        requests = sum(service.total for r in group for service in r.stats.services.values())
        seconds = max((r.ended_at - r.started_at).total_seconds() for r in group)
        statuses = Counter(r.status for r in group)
        say(
            f"workspace {label}: {rows:,} rows, {requests:,} requests, {seconds:.1f}s;"
            f" families: {', '.join(f'{n} {status}' for status, n in sorted(statuses.items()))}"
        )
