"""The loads' Dagster code location, for when one cron host is not enough (`pip install -e
'.[dagster]'`, then `make dagster`); the dbt models and the alerts are the other
(`pipelines.commands.transformation`), so a load's run processes never import dbt.

The raw tables are assets (`instantly/<table>`, partitioned by workspace: one dynamic partition
per label of `SOURCES__INSTANTLY__WORKSPACES` and per member of `WORKSPACE_GROUP_KEY`'s group, or
`default` for the single `API_KEY`, kept by the `workspace_partitions` sensor;
`campaign_cleaner/<table>`, unpartitioned). Each materialisation is the run `make run` makes for
that workspace (`pipelines.flow.load`): the same families on the same pipelines and state, the
same run lock, pending-package finish and run ledger, so the two can take turns on one
warehouse. A family the workspace does not allow is skipped with a notice; one that fails fails
the materialisation after the others loaded.

What `make run` does each day, Dagster does with a schedule and a sensor: `daily_loads` starts one
run per workspace partition (and `daily_campaign_cleaner` Campaign Cleaner's), and the other
location's `transform_after_loads` builds the models once every load has finished.

Loading this module asks no API: the sensor asks for the workspaces.

Dagster may run partitions on several machines at once: give it a warehouse that takes several
writers (PostgreSQL, or a cloud warehouse). There each run extracts beside the others and takes
the warehouse's lock only for the steps that write (`WarehouseTurns`); on a DuckDB file a run
holds it from start to end, so runs take turns whole.
"""

from contextlib import nullcontext
from functools import partial
from typing import Any, Callable, Iterator, List, Optional, Sequence

import dagster as dg
import dlt

from pipelines import flow
from pipelines.campaign_cleaner import plan as campaign_cleaner_plan
from pipelines.common.sources import Family, Plan
from pipelines.console import error_lines
from pipelines.engine import ledger
from pipelines.engine.lock import WarehouseTurns, run_lock
from pipelines.engine.warehouse import Warehouse, configured_destination, resolve
from pipelines.instantly import plan as instantly_plan
from pipelines.instantly.workspaces import workspace_labels

POOL = "deliverability_warehouse"
"""The Dagster concurrency pool of every asset that writes the warehouse."""
WORKSPACE_PARTITIONS = "workspaces"
WORKSPACES = dg.DynamicPartitionsDefinition(name=WORKSPACE_PARTITIONS)
"""One partition per configured workspace label, kept by `workspace_partitions`."""
LOAD_TAG = {"deliverability/step": "load"}
"""The tag of every load run: the runs the models' build waits for (`transformation.transform_after_loads`)."""
DAILY_AT = "0 5 * * *"
"""When the daily loads start (UTC), unless `ORCHESTRATION__SCHEDULE` (a cron expression) says."""

STEPS_IN_THE_RUN_PROCESS = dg.in_process_executor
"""Every job's executor: a job's steps (a load is one step; the models then the alerts, two) run
one after the other in its run's process. Dagster's default starts a Python process per step,
which imports Dagster and the pipelines again (about 3 s of CPU each) for no parallelism."""

workspace_load = dg.define_asset_job(
    "workspace_load", selection=dg.AssetSelection.groups("instantly"), partitions_def=WORKSPACES, tags=LOAD_TAG,
    executor_def=STEPS_IN_THE_RUN_PROCESS,
)
"""One workspace's Instantly tables: what `make run` loads for that workspace."""
campaign_cleaner_load = dg.define_asset_job(
    "campaign_cleaner_load", selection=dg.AssetSelection.groups("campaign_cleaner"), tags=LOAD_TAG,
    executor_def=STEPS_IN_THE_RUN_PROCESS,
)
def table_specs(families: Sequence[Family], **attributes: Any) -> List[dg.AssetSpec]:
    """An asset per table of `families`, keyed `<source>/<table>` as dagster-dbt keys the dbt
    sources, so each model depends on the loads of the raw tables it reads. A table whose family
    the workspace does not allow is skipped, not failed."""
    return [
        dg.AssetSpec([family.source, table], group_name=family.source, skippable=True, **attributes)
        for family in families for table in family.resources
    ]


def dagster_run_id(context: dg.AssetExecutionContext) -> str:
    """The run ledger's id of a Dagster run: it names the run, so a row leads to its run in the UI."""
    return ledger.new_run_id(f"dagster-{context.run_id[:8]}")


def materialise(
    context: dg.AssetExecutionContext, warehouse: Warehouse, plan: Callable[[], Plan]
) -> Iterator[dg.MaterializeResult]:
    """Loads `plan` as `make run` does and reports a materialisation per table of every family
    that loaded; raises after them when a family failed."""
    log = context.log
    several = warehouse.takes_several_writers
    with nullcontext() if several else run_lock(warehouse, "dagster", wait=True):
        turns = WarehouseTurns(warehouse, "dagster") if several else None
        run = ledger.RunLedger(warehouse, log.error, run_id=dagster_run_id(context))
        outcome = flow.load(warehouse, plan, log.info, log.error, run=run, load_lock=turns)
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


def build_definitions(warehouse: Optional[Warehouse] = None) -> dg.Definitions:
    """The load assets of the configured warehouse (the destination `make run` uses)."""
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

    return dg.Definitions(
        assets=[instantly_tables, campaign_cleaner_tables], jobs=[workspace_load, campaign_cleaner_load],
        schedules=[daily_loads, daily_campaign_cleaner], sensors=[workspace_partitions],
    )


defs = build_definitions()
