"""The load: builds a warehouse's pipelines, loads each family of a plan into schema `raw` on
its own (one failing keeps nothing and stops nothing else), and says how each ended
(`outcome`). It knows no source: the specs it is given say what to load."""

import copy
import logging
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import Any, Callable, ContextManager, Dict, List, Optional, Sequence

import dlt
import pendulum
from dlt.common.destination import AnyDestination, Destination, DestinationCapabilitiesContext, TLoaderFileFormat
from dlt.common.normalizers.naming import NamingConvention
from dlt.common.storages import NormalizeStorage
from dlt.sources import DltSource

from pipelines.common.errors import WorkspaceUnavailable, refusal
from pipelines.common.sources import PIPELINE_NAME, BeforeMerge, Plan, SourceSpec
from pipelines.common.tracking import RunStats
from pipelines.engine.explain import explain
from pipelines.engine.outcome import FamilyResult, LoadOutcome, ResourceReport, RunReport
from pipelines.engine.warehouse import DATASET, Warehouse

log = logging.getLogger(__name__)


def make_pipeline(warehouse: Warehouse, pipeline_name: str = PIPELINE_NAME) -> dlt.Pipeline:
    """The pipeline of one warehouse, with a working directory of that warehouse alone; its state
    (incremental cursors) also lives in the warehouse, so a fresh machine pointed at the same
    warehouse continues where the last run stopped."""
    if warehouse.duckdb_file is not None:
        warehouse.duckdb_file.parent.mkdir(parents=True, exist_ok=True)
        target: Any = dlt.destinations.duckdb(credentials=str(warehouse.duckdb_file))
    else:
        target = Destination.from_reference(warehouse.destination)
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=capabilities_settled_once(target),
        dataset_name=DATASET,
        pipelines_dir=str(warehouse.pipelines_dir()),
    )


def capabilities_settled_once(destination: AnyDestination) -> AnyDestination:
    """`destination`, asking its settings for its capabilities once per pipeline.

    dlt works out a destination's capabilities from its settings (every provider, every section)
    each time a pipeline step asks, about ten times per pipeline at 7 ms each: half a second of
    the 4.5 s of CPU a CLI run of the tests' small workspace takes. The settings cannot change
    during a run, so the first answer for a naming convention is kept and each caller gets its
    own copy (dlt adjusts the copy it gets)."""
    ask = destination.capabilities
    settled: Dict[Any, DestinationCapabilitiesContext] = {}

    def capabilities(
        config: Optional[Any] = None, naming: Optional[NamingConvention] = None,
    ) -> DestinationCapabilitiesContext:
        if config is not None:  # a resolved configuration: dlt's answer needs no lookup
            return ask(config, naming)
        key = None if naming is None else (type(naming), naming.max_length, naming.is_case_sensitive)
        if key not in settled:
            settled[key] = ask(None, naming)
        return copy.copy(settled[key])

    destination.capabilities = capabilities  # type: ignore[method-assign]
    return destination


def pipelines_of(warehouse: Warehouse) -> Callable[[str], dlt.Pipeline]:
    """The pipeline of each name, on `warehouse`."""
    return lambda name: make_pipeline(warehouse, pipeline_name=name)


def finish_pending(pipeline: dlt.Pipeline) -> Optional[int]:
    """Loads what an earlier run extracted or normalised but did not load (its load failed, or
    it was killed), and returns its row count; None when nothing was pending.

    `pipeline.run` would load such a package *instead of* extracting this run's data, and say so
    only in a raw warning: finishing it first lets this run extract and load as usual.
    """
    if not pipeline.has_pending_data:
        return None
    drop_normalised_leftovers(pipeline)
    if pipeline.list_extracted_load_packages():
        pipeline.normalize()
    load_ids = list(pipeline.list_normalized_load_packages())
    pipeline.load()
    return loaded_rows(pipeline, load_ids)


def drop_normalised_leftovers(pipeline: dlt.Pipeline) -> None:
    """Deletes what is left of extracted packages that dlt had already normalised.

    dlt's normalise commits a package to the load storage, then deletes its extracted copy
    (shutil.rmtree, children first). A run killed in between leaves the extracted package whole or
    in part. Normalising it again fails (the part deleted is gone) or would queue its rows twice,
    while the normalised package holds them all. So any extracted package whose load id is also a
    normalised one is deleted, as dlt would have done."""
    normalised = set(pipeline.list_normalized_load_packages())
    extracted = Path(pipeline.working_dir) / "normalize" / NormalizeStorage.EXTRACTED_FOLDER
    for load_id in set(pipeline.list_extracted_load_packages()) & normalised:
        shutil.rmtree(extracted / load_id)
        log.warning("deleted the extracted copy of load package %s, already normalised", load_id)


def write_computed(pipeline: dlt.Pipeline, data: Any) -> None:
    """Loads rows our own code computed this run (the run ledger's, the alert state's), behind
    whatever an earlier write of the same pipeline left pending.

    Never `pipeline.run`: with a package pending, it loads that package *instead of* `data` and
    says so only in a warning, so the run after a failed write would lose its own rows. Extracting
    first queues these rows behind the pending package, and one load takes both, oldest first; if
    that load fails too, both stay pending for the next write.
    """
    drop_normalised_leftovers(pipeline)
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

    Extraction (the slow, rate-limited part) and normalisation (local files) may run beside
    other pipelines'; every step that touches the warehouse holds `load_lock`, so one pipeline
    writes at a time.
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
        normalize = pipeline.normalize()  # local files only: other writers go on meanwhile
        with lock:
            if before_merge is not None:
                before_merge(pipeline, source.name)
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
    pipeline_named: Callable[[str], dlt.Pipeline], plan: Plan, watch: Optional[Watch] = None,
    load_lock: Optional[ContextManager[Any]] = None,
) -> LoadOutcome:
    """Loads each family of `plan` on its own (one failing does not stop the others). Families
    of one pipeline load one after another; different pipelines (each family of each workspace)
    extract side by side, `plan.parallel` at a time, and write to the warehouse one at a time
    (`load_lock`: this process's turn, unless the caller's takes turns with other writers too)."""
    outcome = LoadOutcome()
    specs = plan.specs
    groups: Dict[str, List[SourceSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.pipeline_name, []).append(spec)
    load_lock = load_lock if load_lock is not None else threading.Lock()
    results_lock = threading.Lock()
    stop = threading.Event()

    def load_group(name: str, group: List[SourceSpec]) -> None:
        pipeline = pipeline_named(name)
        for spec in group:
            result = load_family(pipeline, spec, watch, load_lock, stop)
            with results_lock:
                outcome.results.append(result)

    with ThreadPoolExecutor(max_workers=max(1, min(plan.parallel, len(groups)))) as pool:
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


