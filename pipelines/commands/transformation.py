"""The dbt models and the alerts as a Dagster code location of their own, beside the loads'
(`pipelines.commands.orchestration`): only this location imports dbt, so the run process of a
workspace's load stays small.

The dbt models are assets downstream of the raw tables they read (the loads' assets); their
build writes the ledger's dbt row (`pipelines.flow.after_dbt`), and the alerts are an asset
downstream of the models. The sensor `transform_after_loads` starts both (the job `transform`)
once every load has finished: one build per tick, however many workspaces.

Loading this module runs no dbt unless the project changed since its last parse.
"""

import os
import sys
import time
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional

import dagster as dg
import pendulum
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines import flow
from pipelines.commands.orchestration import LOAD_TAG, POOL, STEPS_IN_THE_RUN_PROCESS, dagster_run_id
from pipelines.engine import ledger
from pipelines.engine.lock import run_lock
from pipelines.engine.warehouse import Warehouse, configured_destination, resolve
from pipelines.outputs.transform import BUILD, DBT_PROJECT, dbt_settings, summarise

DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
"""The dbt of this environment (its bin directory need not be on PATH, as under cron)."""
DBT_GROUP = "dbt"
ALERTS_GROUP = "alerts"
UNFINISHED = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
              dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]

transform = dg.define_asset_job(
    "transform", selection=dg.AssetSelection.groups(DBT_GROUP, ALERTS_GROUP), executor_def=STEPS_IN_THE_RUN_PROCESS,
)
"""The dbt models, their tests and the alerts: what `make run` does after its load."""


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
    """The models and alerts of the configured warehouse (the destination `make run` uses)."""
    warehouse = warehouse or resolve(configured_destination())

    project = DbtProject(project_dir=DBT_PROJECT, profiles_dir=DBT_PROJECT, target_path="target/dagster")
    dbt = DbtCliResource(
        project_dir=project, profiles_dir=str(DBT_PROJECT), target=warehouse.destination, dbt_executable=DBT_EXECUTABLE,
    )
    parsed(project, dbt)
    # Every build's artifacts in one directory: builds take turns (the warehouse's lock), and
    # dagster-dbt's default, a new directory per build, would keep each one's (about 14 MB) forever.
    build_target = DBT_PROJECT / project.target_path / "build"

    @dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=ModelsInOneGroup(), pool=POOL)
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        with run_lock(warehouse, "dagster dbt", wait=True):  # a writer like any other: cron and Dagster take turns
            started, clock = pendulum.now("UTC"), time.monotonic()
            invocation = dbt.cli(BUILD, context=context, raise_on_error=False, target_path=build_target)
            yield from invocation.stream()
            built = summarise(Path(invocation.target_path) / "run_results.json", time.monotonic() - clock)
            run = ledger.RunLedger(warehouse, context.log.error, run_id=dagster_run_id(context))
            problems = flow.after_dbt(run, started, built, invocation.is_successful(), context.log.info, context.log.error)
            if problems:
                raise dg.Failure(built.line if not invocation.is_successful() else "; ".join(problems))

    @dg.asset(key=["alerts"], deps=list(dbt_models.keys), group_name=ALERTS_GROUP, pool=POOL)
    def alerts(context: dg.AssetExecutionContext) -> None:
        """The alert rules on the freshly built marts, as `make run` evaluates them after dbt."""
        with run_lock(warehouse, "dagster alerts", wait=True):
            if flow.alert(warehouse, context.log.info, context.log.error):
                raise dg.Failure("alerts not evaluated (see the log)")

    return dg.Definitions(
        assets=[dbt_models, alerts], jobs=[transform], sensors=[transform_after_loads], resources={"dbt": dbt},
    )


def dbt_environment(warehouse: Warehouse) -> None:
    """dagster-dbt starts dbt with this process's environment: give it the warehouse's settings
    (the DuckDB file, UTC sessions), as `make run` does for its own dbt."""
    for name, value in dbt_settings(warehouse).items():
        os.environ.setdefault(name, value)


dbt_environment(resolve(configured_destination()))
defs = build_definitions()
