"""A Dagster code location, for when one cron host is not enough (`pip install -e '.[dagster]'`,
then `dagster dev -m pipelines.commands.orchestration`).

The raw tables are assets (`instantly/<table>`, partitioned by workspace: one dynamic partition
per label of `SOURCES__INSTANTLY__WORKSPACES` and per member of `WORKSPACE_GROUP_KEY`'s group, or
`default` for the single `API_KEY`, kept by the `workspace_partitions` sensor;
`campaign_cleaner/<table>`, unpartitioned). Each materialisation is the run `make run` makes for
that workspace (`pipelines.flow.load`): the same families on the same pipelines and state, the
same run lock, pending-package finish and run ledger, so the two can take turns on one
warehouse. A family the workspace does not allow is skipped with a notice; one that fails fails
the materialisation after the others loaded. The dbt models are assets downstream of the raw
tables they read; their build writes the ledger's dbt row (`pipelines.flow.after_dbt`), and the
alerts are an asset downstream of the models.

What `make run` does each day, Dagster does with a schedule and a sensor: `daily_loads` starts one
run per workspace partition (and `daily_campaign_cleaner` Campaign Cleaner's), and
`transform_after_loads` starts the dbt models and the alerts once every load has finished: one
build per tick, however many workspaces.

Loading this module asks no API and runs no dbt: the sensor asks for the workspaces, and dbt
parses only when the project changed since its last parse.

Dagster may run partitions on several machines at once: give it a warehouse that takes several
writers (PostgreSQL, or a cloud warehouse). There each run extracts beside the others and takes
the warehouse's lock only for the steps that write (`WarehouseTurns`); on a DuckDB file a run
holds it from start to end, so runs take turns whole.
"""

import os
import sys
import time
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator, List, Mapping, Optional, Sequence

import dagster as dg
import dlt
import pendulum
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines import flow
from pipelines.campaign_cleaner import plan as campaign_cleaner_plan
from pipelines.common.sources import Family, Plan
from pipelines.console import error_lines
from pipelines.engine import ledger
from pipelines.engine.lock import WarehouseTurns, run_lock
from pipelines.engine.warehouse import Warehouse, configured_destination, resolve
from pipelines.instantly import plan as instantly_plan
from pipelines.instantly.workspaces import workspace_labels
from pipelines.outputs.transform import BUILD, DBT_PROJECT, dbt_settings, summarise

POOL = "deliverability_warehouse"
"""The Dagster concurrency pool of every asset that writes the warehouse."""
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
"""The dbt of this environment (its bin directory need not be on PATH, as under cron)."""
WORKSPACE_PARTITIONS = "workspaces"
WORKSPACES = dg.DynamicPartitionsDefinition(name=WORKSPACE_PARTITIONS)
"""One partition per configured workspace label, kept by `workspace_partitions`."""
DBT_GROUP = "dbt"
ALERTS_GROUP = "alerts"
LOAD_TAG = {"deliverability/step": "load"}
"""The tag of every load run: the runs `transform_after_loads` waits for."""
DAILY_AT = "0 5 * * *"
"""When the daily loads start (UTC), unless `ORCHESTRATION__SCHEDULE` (a cron expression) says."""
UNFINISHED = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
              dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]

workspace_load = dg.define_asset_job(
    "workspace_load", selection=dg.AssetSelection.groups("instantly"), partitions_def=WORKSPACES, tags=LOAD_TAG,
)
"""One workspace's Instantly tables: what `make run` loads for that workspace."""
campaign_cleaner_load = dg.define_asset_job(
    "campaign_cleaner_load", selection=dg.AssetSelection.groups("campaign_cleaner"), tags=LOAD_TAG,
)
transform = dg.define_asset_job("transform", selection=dg.AssetSelection.groups(DBT_GROUP, ALERTS_GROUP))
"""The dbt models, their tests and the alerts: what `make run` does after its load."""


def table_specs(families: Sequence[Family], **attributes: Any) -> List[dg.AssetSpec]:
    """An asset per table of `families`, keyed `<source>/<table>` as dagster-dbt keys the dbt
    sources, so each model depends on the loads of the raw tables it reads. A table whose family
    the workspace does not allow is skipped, not failed."""
    return [
        dg.AssetSpec([family.source, table], group_name=family.source, skippable=True, **attributes)
        for family in families for table in family.resources
    ]


def materialise(
    context: dg.AssetExecutionContext, warehouse: Warehouse, plan: Callable[[], Plan]
) -> Iterator[dg.MaterializeResult]:
    """Loads `plan` as `make run` does and reports a materialisation per table of every family
    that loaded; raises after them when a family failed."""
    log = context.log
    several = warehouse.takes_several_writers
    with nullcontext() if several else run_lock(warehouse, "dagster", wait=True):
        turns = WarehouseTurns(warehouse, "dagster") if several else None
        outcome = flow.load(warehouse, plan, log.info, log.error, load_lock=turns)
    for result in outcome.load.results:
        if result.status != "ok" or result.report is None:
            continue
        for resource in result.report.resources:
            if resource.name not in result.spec.family.resources:
                continue  # a step of its own (the activity map): no table
            yield dg.MaterializeResult(
                asset_key=[result.spec.family.source, resource.name],
                metadata={"rows": resource.rows, "requests": resource.requests, "seconds": round(resource.seconds, 1)},
            )
    if outcome.load.failed:
        raise dg.Failure("; ".join(error_lines(outcome.load)))


class ModelsInOneGroup(DagsterDbtTranslator):
    """The dbt project's assets in one named group, so `--select group:dbt` picks them all
    (dagster-dbt's default puts them in the group `default`); a raw table keyed `<source>/<table>`
    as its load asset is, though dbt declares it under its family's source (`instantly_placement`)."""

    LOADED_BY = {family.schema: family.source for family in flow.FAMILIES}

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> Optional[str]:
        return DBT_GROUP

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        source = self.LOADED_BY.get(dbt_resource_props.get("source_name", ""))
        if dbt_resource_props["resource_type"] == "source" and source:
            return dg.AssetKey([source, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)


@dg.sensor(minimum_interval_seconds=600, default_status=dg.DefaultSensorStatus.RUNNING)
def workspace_partitions(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Keeps one partition per configured workspace: a label or group member added since is
    added, one gone is removed (its loaded rows stay in the warehouse)."""
    configured = set(workspace_labels())
    current = set(context.instance.get_dynamic_partitions(WORKSPACE_PARTITIONS))
    added, gone = sorted(configured - current), sorted(current - configured)
    return dg.SensorResult(dynamic_partitions_requests=[
        *([WORKSPACES.build_add_request(added)] if added else []),
        *([WORKSPACES.build_delete_request(gone)] if gone else []),
    ])


@dg.schedule(
    job=workspace_load, cron_schedule=str(dlt.config.get("orchestration.schedule") or DAILY_AT),
    execution_timezone="UTC", default_status=dg.DefaultScheduleStatus.RUNNING,
)
def daily_loads(context: dg.ScheduleEvaluationContext) -> List[dg.RunRequest]:
    """A run per workspace partition, each tick: the run queue (`dagster.yaml`) decides how many
    go at once."""
    tick = context.scheduled_execution_time.isoformat() if context.scheduled_execution_time else "now"
    return [dg.RunRequest(run_key=f"{label} {tick}", partition_key=label)
            for label in context.instance.get_dynamic_partitions(WORKSPACE_PARTITIONS)]


daily_campaign_cleaner = dg.ScheduleDefinition(
    name="daily_campaign_cleaner", job=campaign_cleaner_load, cron_schedule=daily_loads.cron_schedule,
    execution_timezone="UTC", default_status=dg.DefaultScheduleStatus.RUNNING,
)


@dg.sensor(job=transform, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def transform_after_loads(context: dg.SensorEvaluationContext) -> Any:
    """The dbt models and the alerts once the loads have settled: when a load finished since the
    last build and none is queued or running. A tick's loads are all queued at once, so their
    models build once, after the last of them, whatever each load's outcome (what loaded, builds)."""
    if context.instance.get_run_records(dg.RunsFilter(tags=LOAD_TAG, statuses=UNFINISHED), limit=1):
        return dg.SkipReason("loads are queued or running")
    last = context.instance.get_runs(dg.RunsFilter(tags=LOAD_TAG, statuses=FINISHED), limit=1)
    if not last or last[0].run_id == context.cursor:
        return dg.SkipReason("no load has finished since the last build")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=last[0].run_id)], cursor=last[0].run_id)


def parsed(project: DbtProject, dbt: DbtCliResource) -> None:
    """dbt's manifest, parsed again only when a file of the project is newer than it: a manifest
    from before the project gained a model makes dagster-dbt fail on it, and parsing on every
    load of the code location would repeat on every reload of `dagster dev`."""
    manifest = Path(project.manifest_path)
    sources = [*DBT_PROJECT.glob("*.yml"), *(f for d in ("models", "macros", "tests", "seeds", "snapshots")
                                             for f in (DBT_PROJECT / d).rglob("*") if f.is_file())]
    if manifest.exists() and all(f.stat().st_mtime <= manifest.stat().st_mtime for f in sources):
        return
    dbt.cli(["--quiet", "parse"], target_path=project.target_path).wait()


def build_definitions(warehouse: Optional[Warehouse] = None) -> dg.Definitions:
    """The assets of the configured warehouse (the destination `make run` uses)."""
    warehouse = warehouse or resolve(configured_destination())

    @dg.multi_asset(
        specs=table_specs(instantly_plan.FAMILIES), name="instantly", partitions_def=WORKSPACES, pool=POOL,
    )
    def instantly_tables(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        keys = workspace_labels()
        if context.partition_key not in keys:
            raise dg.Failure(f"workspace {context.partition_key} is no longer configured")
        plan = partial(instantly_plan.plan, context.log.info, keys=[keys[context.partition_key]])
        yield from materialise(context, warehouse, plan)

    @dg.multi_asset(specs=table_specs(campaign_cleaner_plan.FAMILIES), name="campaign_cleaner", pool=POOL)
    def campaign_cleaner_tables(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        yield from materialise(context, warehouse, partial(campaign_cleaner_plan.plan, context.log.info))

    project = DbtProject(project_dir=DBT_PROJECT, profiles_dir=DBT_PROJECT, target_path="target/dagster")
    dbt = DbtCliResource(
        project_dir=project, profiles_dir=str(DBT_PROJECT), target=warehouse.destination, dbt_executable=DBT_EXECUTABLE,
    )
    parsed(project, dbt)

    @dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=ModelsInOneGroup(), pool=POOL)
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        with run_lock(warehouse, "dagster dbt", wait=True):  # a writer like any other: cron and Dagster take turns
            started, clock = pendulum.now("UTC"), time.monotonic()
            invocation = dbt.cli(BUILD, context=context, raise_on_error=False)
            yield from invocation.stream()
            built = summarise(Path(invocation.target_path) / "run_results.json", time.monotonic() - clock)
            problems = flow.after_dbt(
                ledger.RunLedger(warehouse, context.log.error), started, built, invocation.is_successful(),
                context.log.info, context.log.error,
            )
            if problems:
                raise dg.Failure(built.line if not invocation.is_successful() else "; ".join(problems))

    @dg.asset(key=["alerts"], deps=list(dbt_models.keys), group_name=ALERTS_GROUP, pool=POOL)
    def alerts(context: dg.AssetExecutionContext) -> None:
        """The alert rules on the freshly built marts, as `make run` evaluates them after dbt."""
        with run_lock(warehouse, "dagster alerts", wait=True):
            if flow.alert(warehouse, context.log.info, context.log.error):
                raise dg.Failure("alerts not evaluated (see the log)")

    return dg.Definitions(
        assets=[instantly_tables, campaign_cleaner_tables, dbt_models, alerts],
        jobs=[workspace_load, campaign_cleaner_load, transform], schedules=[daily_loads, daily_campaign_cleaner],
        sensors=[workspace_partitions, transform_after_loads], resources={"dbt": dbt},
    )


def dbt_environment(warehouse: Warehouse) -> None:
    """dagster-dbt starts dbt with this process's environment: give it the warehouse's settings
    (the DuckDB file, UTC sessions), as `make run` does for its own dbt."""
    for name, value in dbt_settings(warehouse).items():
        os.environ.setdefault(name, value)


dbt_environment(resolve(configured_destination()))
defs = build_definitions()
