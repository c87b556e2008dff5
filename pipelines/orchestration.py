"""A Dagster code location, for when one cron host is not enough (`pip install -e '.[dagster]'`,
then `dagster dev -m pipelines.orchestration`).

The Instantly source's resources become assets partitioned by workspace: one partition per label
of `SOURCES__INSTANTLY__WORKSPACES` and per member of `WORKSPACE_GROUP_KEY`'s group (or `default`
for the single `API_KEY`), each loading with
that workspace's key into the pipeline (and state) `make run` uses for it, so the two can take
turns on one warehouse. The dbt models are assets downstream of the raw tables they read.

Dagster may run partitions on several machines at once: give it a warehouse that takes several
writers (PostgreSQL, or a cloud warehouse), not one DuckDB file; with DuckDB, keep the
`deliverability_warehouse` pool at one run at a time.
"""

from typing import Any, Dict, Iterator, Optional

import dagster as dg
import dlt
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from pipelines import runner
from pipelines.instantly import instantly
from pipelines.instantly.settings import DEFAULT_WORKSPACE_LABEL
from pipelines.instantly.workspaces import WorkspaceKey, configured_keys
from pipelines.transform import DBT_EXECUTABLE, DBT_PROJECT, dbt_settings
from pipelines.warehouse import Warehouse, resolve

POOL = "deliverability_warehouse"
"""The Dagster concurrency pool of every asset that writes the warehouse."""


def partition_keys() -> Dict[str, WorkspaceKey]:
    """Each partition's label with its workspace key, as `make run` reads them (a workspace
    group's members are asked of the API when the code location loads)."""
    keys = configured_keys(dlt.config.get("sources.instantly.base_url") or None)
    if keys is not None:
        return {key.label: key for key in keys}
    single = str(dlt.secrets.get("sources.instantly.api_key") or "")
    return {DEFAULT_WORKSPACE_LABEL: WorkspaceKey(DEFAULT_WORKSPACE_LABEL, single)}


class RawTableKeys(DagsterDltTranslator):
    """Asset keys `instantly/<table>`: the keys dagster-dbt gives the dbt sources, so each model
    depends on the load of the raw tables it reads."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(key=dg.AssetKey(["instantly", data.resource.name]), deps=[])


def build_definitions(warehouse: Optional[Warehouse] = None) -> dg.Definitions:
    """The assets of the configured workspaces and warehouse (the destination `make run` uses)."""
    warehouse = warehouse or resolve()
    keys = partition_keys()
    workspaces = dg.StaticPartitionsDefinition(sorted(keys))

    def pipeline_of(label: str) -> dlt.Pipeline:
        return runner.make_pipeline(
            warehouse, pipeline_name=runner.workspace_pipeline(None if label == DEFAULT_WORKSPACE_LABEL else label)
        )

    @dlt_assets(
        dlt_source=instantly(api_key="asset definitions only"),
        dlt_pipeline=pipeline_of(DEFAULT_WORKSPACE_LABEL),
        name="instantly",
        group_name="instantly",
        partitions_def=workspaces,
        dagster_dlt_translator=RawTableKeys(),
        pool=POOL,
    )
    def instantly_tables(context: dg.AssetExecutionContext, dlt_resource: DagsterDltResource) -> Iterator[Any]:
        key = keys[context.partition_key]
        pipeline = pipeline_of(key.label)
        source = instantly(
            api_key=key.api_key, workspace_label=key.label,
            key_hint=key.key_hint, as_workspace=key.as_workspace,
        )
        yield from dlt_resource.run(
            context=context, dlt_source=source, dlt_pipeline=pipeline, loader_file_format=runner.file_format(pipeline)
        )

    project = DbtProject(project_dir=DBT_PROJECT, profiles_dir=DBT_PROJECT, target_path="target/dagster")
    dbt = DbtCliResource(
        project_dir=project, profiles_dir=str(DBT_PROJECT), target=warehouse.destination, dbt_executable=DBT_EXECUTABLE,
    )
    if not project.manifest_path.exists():
        dbt.cli(["parse"], target_path=project.target_path).wait()

    @dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=DagsterDbtTranslator(), pool=POOL)
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        yield from dbt.cli(["build"], context=context).stream()

    return dg.Definitions(
        assets=[instantly_tables, dbt_models],
        resources={
            "dlt_resource": DagsterDltResource(),
            "dbt": dbt,
        },
    )


def dbt_environment(warehouse: Warehouse) -> None:
    """dagster-dbt starts dbt with this process's environment: give it the warehouse's settings
    (the DuckDB file, UTC sessions), as `make run` does for its own dbt."""
    import os

    for name, value in dbt_settings(warehouse).items():
        os.environ.setdefault(name, value)


dbt_environment(resolve())
defs = build_definitions()
