"""What a run loads: every family of every Instantly workspace, and Campaign Cleaner.

Each family of each workspace loads on a pipeline of its own (its own cursors and load
packages), so one that a workspace does not allow, or one that fails, stops alone. The
families of one workspace share its request budget. Campaign Cleaner keeps the `deliverability`
pipeline, whose state holds its job registry.
"""

import asyncio
from contextlib import contextmanager
from functools import partial
from typing import Any, Callable, Dict, Iterator, List, Optional

import dlt
from dlt.common.configuration.exceptions import ConfigValueCannotBeCoercedException
from dlt.sources import DltSource

from pipelines.common.errors import ConfigError, WorkspaceUnavailable
from pipelines.common.rate_limit import SharedBudget
from pipelines.common.tracking import RunStats
from pipelines.engine.explain import explain
from pipelines.engine.families import CAMPAIGN_CLEANER, INSTANTLY_FAMILIES, Family
from pipelines.engine.runner import SourceSpec
from pipelines.engine.warehouse import PIPELINE_NAME
from pipelines.instantly.settings import DEFAULT_WORKSPACE_LABEL

Say = Callable[[str], None]


def family_pipeline(label: Optional[str], family: Family) -> str:
    """The pipeline (so the state) of one family of one workspace: `deliverability-<family>` for
    the single key, `deliverability-<label>-<family>` for an agency's workspace."""
    return "-".join(filter(None, (PIPELINE_NAME, label, family.name)))


def family_source(source: DltSource, family: Family) -> DltSource:
    """The family's resources of `source`, as a source (and schema) named after the family."""
    return source.with_resources(*family.resources).clone(with_name=f"{family.source}_{family.name}")


def configured_sources(say: Say, backfill: Optional[str] = None) -> List[SourceSpec]:
    """Every family to load: each Instantly workspace's, and Campaign Cleaner's when its key is
    set. `backfill` (FROM[:TO]) re-pulls those UTC days of Instantly's day-based tables."""
    return instantly_sources(say, backfill) + campaign_cleaner_sources(say)


@contextmanager
def named_settings(section: str) -> Iterator[None]:
    """A bad setting read here is one line under the variable a user sets (`SOURCES__<SECTION>__...`)."""
    try:
        yield
    except ConfigValueCannotBeCoercedException as exc:
        raise ConfigError(explain(exc, section)) from exc


def campaign_cleaner_sources(say: Say) -> List[SourceSpec]:
    """Campaign Cleaner's seed tests, when its key is set (a notice when it is not)."""
    from pipelines.campaign_cleaner import campaign_cleaner

    if not dlt.secrets.get("sources.campaign_cleaner.api_key"):
        say("notice: Campaign Cleaner skipped (SOURCES__CAMPAIGN_CLEANER__API_KEY is not set)")
        return []
    return [SourceSpec("campaign_cleaner", lambda run: campaign_cleaner(run=run), CAMPAIGN_CLEANER)]


def instantly_sources(
    say: Say, backfill: Optional[str], keys: Optional[List[Any]] = None, **settings: Any
) -> List[SourceSpec]:
    """The families of every workspace: the single key's (`API_KEY`), or agency mode's
    (`WORKSPACES`, `WORKSPACE_GROUP_KEY`); or `keys` with source `settings` (the demo's). Each
    workspace is asked once (`describe_workspace`) before any load; the settings are checked
    first, so a bad one costs no request. A revoked or unpaid key fails its workspace alone, and
    a key of a workspace another label already holds is skipped with a notice."""
    from pipelines.instantly import instantly
    from pipelines.instantly.workspaces import (
        adopt_unstamped_rows,
        configured_keys,
        current_workspaces,
        duplicate_of,
        preflight_client,
    )

    base_url = settings.get("base_url") or dlt.config.get("sources.instantly.base_url") or None
    if keys is None:
        keys = configured_keys(base_url, say)
    with named_settings("instantly"):  # the settings checked (the key's presence too), with no request
        if keys is None:
            instantly(run=RunStats(), **settings)
            keys = [single_key()]
        else:
            instantly(run=RunStats(), api_key=keys[0].api_key, **settings)
    single = [key.label for key in keys] == [DEFAULT_WORKSPACE_LABEL]
    found = asyncio.run(current_workspaces(keys, lambda key: preflight_client(key, base_url)))
    duplicates = duplicate_of(found)
    specs = []
    for key in keys:
        if key.label in duplicates:
            say(f"notice: workspace {key.label} skipped: its key is for the workspace {duplicates[key.label]} loads")
            continue
        workspace = found[key.label]
        if isinstance(workspace, dict) and workspace.get("id_from"):
            say(
                f"notice: workspace {key.label}: the key lacks workspaces:read, so its workspace id is read from"
                f" {workspace['id_from']}"
            )
        budget = SharedBudget()

        def make(run: RunStats, family: Family, key: Any = key, workspace: Any = workspace, budget: Any = budget) -> DltSource:
            if isinstance(workspace, BaseException):
                raise WorkspaceUnavailable() from workspace
            source = instantly(
                api_key=key.api_key, workspace_label=key.label, key_hint=key.key_hint, as_workspace=key.as_workspace,
                run=run, backfill=backfill, workspace=workspace, budget=budget, **settings,
            )
            return family_source(source, family)

        label = None if single else key.label
        workspace_id = str(workspace["id"]) if isinstance(workspace, dict) else None
        # rows the single key loaded before rows carried a workspace are that workspace's
        adopt = partial(adopt_unstamped_rows, workspace_id) if single and workspace_id else None
        specs += [
            SourceSpec(
                "instantly", partial(make, family=family), family, family_pipeline(label, family), label, workspace_id,
                before_merge=adopt,
            )
            for family in INSTANTLY_FAMILIES
        ]
    return specs


def workspace_labels() -> Dict[str, Any]:
    """Each configured workspace's label with its key (agency mode), or `default` with the single
    key: the partitions an orchestrator runs."""
    from pipelines.instantly.workspaces import configured_keys

    keys = configured_keys(dlt.config.get("sources.instantly.base_url") or None)
    return {key.label: key for key in (keys if keys is not None else [single_key()])}


def single_key() -> Any:
    """The single-key form's one workspace (`API_KEY`), labelled `default`."""
    from pipelines.instantly.workspaces import WorkspaceKey

    return WorkspaceKey(DEFAULT_WORKSPACE_LABEL, str(dlt.secrets.get("sources.instantly.api_key") or "").strip())
