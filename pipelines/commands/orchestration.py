"""A Dagster code location, for when one cron host is not enough (`pip install -e '.[dagster]'`,
then `dagster dev -m pipelines.commands.orchestration`).

The raw tables are assets (`instantly/<table>`, partitioned by workspace: one partition per label
of `SOURCES__INSTANTLY__WORKSPACES` and per member of `WORKSPACE_GROUP_KEY`'s group, or `default`
for the single `API_KEY`; `campaign_cleaner/<table>`, unpartitioned). Each materialisation is
the run `make run` makes for that workspace (`pipelines.flow.load`): the same families on the same
pipelines and state, the same run lock, pending-package finish and run ledger, so the two can
take turns on one warehouse. A family the workspace does not allow is skipped with a notice; one
that fails fails the materialisation after the others loaded. The dbt models are assets
downstream of the raw tables they read, and their build writes the ledger's dbt row.

Dagster may run partitions on several machines at once: give it a warehouse that takes several
writers (PostgreSQL, or a cloud warehouse), not one DuckDB file; with DuckDB, keep the
`deliverability_warehouse` pool at one run at a time.
"""

import os
import time
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator, List, Mapping, Optional, Sequence

import dagster as dg
import pendulum
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines import flow
from pipelines.engine import ledger
from pipelines.engine.families import CAMPAIGN_CLEANER, INSTANTLY_FAMILIES, Family
from pipelines.engine.lock import run_lock
from pipelines.engine.plan import campaign_cleaner_sources, instantly_sources, workspace_labels
from pipelines.engine.runner import SourceSpec
from pipelines.engine.warehouse import Warehouse, resolve
from pipelines.outputs.transform import DBT_EXECUTABLE, DBT_PROJECT, dbt_settings, summarise

POOL = "deliverability_warehouse"
"""The Dagster concurrency pool of every asset that writes the warehouse."""


def table_specs(families: Sequence[Family], **attributes: Any) -> List[dg.AssetSpec]:
    """An asset per table of `families`, keyed `<source>/<table>` as dagster-dbt keys the dbt
    sources, so each model depends on the loads of the raw tables it reads. A table whose family
    the workspace does not allow is skipped, not failed."""
    return [
        dg.AssetSpec([family.source, table], group_name=family.source, skippable=True, **attributes)
        for family in families for table in family.resources
    ]


def materialise(
    context: dg.AssetExecutionContext, warehouse: Warehouse, plan: Callable[[], Sequence[SourceSpec]]
) -> Iterator[dg.MaterializeResult]:
    """Loads `specs` as `make run` does and reports a materialisation per table of every family
    that loaded; raises after them when a family failed."""
    log = context.log
    with run_lock(warehouse, "dagster", wait=True):
        outcome = flow.load(warehouse, plan, log.info, log.error)
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
        raise dg.Failure("; ".join(outcome.load.errors))


DBT_GROUP = "dbt"


class ModelsInOneGroup(DagsterDbtTranslator):
    """The dbt project's assets in one named group, so `--select group:dbt` picks them all
    (dagster-dbt's default puts them in the group `default`)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> Optional[str]:
        return DBT_GROUP


def build_definitions(warehouse: Optional[Warehouse] = None) -> dg.Definitions:
    """The assets of the configured workspaces and warehouse (the destination `make run` uses)."""
    warehouse = warehouse or resolve()
    keys = workspace_labels()
    workspaces = dg.StaticPartitionsDefinition(sorted(keys))

    @dg.multi_asset(specs=table_specs(INSTANTLY_FAMILIES), name="instantly", partitions_def=workspaces, pool=POOL)
    def instantly_tables(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        plan = partial(instantly_sources, context.log.info, None, keys=[keys[context.partition_key]])
        yield from materialise(context, warehouse, plan)

    @dg.multi_asset(specs=table_specs([CAMPAIGN_CLEANER]), name="campaign_cleaner", pool=POOL)
    def campaign_cleaner_tables(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        yield from materialise(context, warehouse, partial(campaign_cleaner_sources, context.log.info))

    project = DbtProject(project_dir=DBT_PROJECT, profiles_dir=DBT_PROJECT, target_path="target/dagster")
    dbt = DbtCliResource(
        project_dir=project, profiles_dir=str(DBT_PROJECT), target=warehouse.destination, dbt_executable=DBT_EXECUTABLE,
    )
    # parsed at every load of the code location, never read stale: a manifest from before the
    # project gained a model makes dagster-dbt fail on it (dbt's partial parse keeps this quick)
    dbt.cli(["--quiet", "parse"], target_path=project.target_path).wait()

    @dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=ModelsInOneGroup(), pool=POOL)
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        with run_lock(warehouse, "dagster dbt", wait=True):  # a writer like any other: cron and Dagster take turns
            started, clock = pendulum.now("UTC"), time.monotonic()
            invocation = dbt.cli(["build"], context=context, raise_on_error=False)
            yield from invocation.stream()
            outcome = summarise(Path(invocation.target_path) / "run_results.json", time.monotonic() - clock)
            status = "ok" if invocation.is_successful() else "failed"
            run = ledger.RunLedger(warehouse, context.log.error)
            run.record([ledger.dbt_row(run.run_id, status, started, outcome.warnings, "" if status == "ok" else outcome.line)])
            if status != "ok":
                raise dg.Failure(outcome.line)
            if flow.alert(warehouse, context.log.info, context.log.error):
                raise dg.Failure("alerts not evaluated (see the log)")

    return dg.Definitions(assets=[instantly_tables, campaign_cleaner_tables, dbt_models], resources={"dbt": dbt})


def dbt_environment(warehouse: Warehouse) -> None:
    """dagster-dbt starts dbt with this process's environment: give it the warehouse's settings
    (the DuckDB file, UTC sessions), as `make run` does for its own dbt."""
    for name, value in dbt_settings(warehouse).items():
        os.environ.setdefault(name, value)


dbt_environment(resolve())
defs = build_definitions()
