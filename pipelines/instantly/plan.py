"""What the Instantly source loads: its families, and the specs of every workspace's families.

Each family of each workspace loads on a pipeline of its own (its own cursors and load
packages), so one that a workspace does not allow, or one that fails, stops alone. The families
of one workspace share its request budget; the families of `PARALLEL_WORKSPACES` workspaces
extract at once.
"""

import asyncio
from functools import partial
from typing import Any, Callable, List, Optional

import dlt
from dlt.sources import DltSource

from pipelines.common.errors import WorkspaceUnavailable, named_settings
from pipelines.common.rate_limit import SharedBudget
from pipelines.common.sources import Family, Plan, SourceSpec
from pipelines.common.tracking import RunStats
from pipelines.instantly import instantly, settings
from pipelines.instantly.workspaces import (
    WorkspaceKey,
    WorkspaceRun,
    adopt_unstamped_rows,
    configured_keys,
    current_workspaces,
    duplicate_of,
    preflight_client,
    single_key,
)

Say = Callable[[str], None]

CAMPAIGNS = Family(
    "campaigns", "campaigns and campaign analytics", "instantly",
    (
        "instantly_workspaces", "instantly_campaigns", "instantly_campaign_analytics",
        "instantly_campaign_analytics_daily", "instantly_campaign_analytics_steps",
        "instantly_campaign_analytics_overview",
    ),
    required=True, paid_by="an active paid plan",
)
PLACEMENT = Family(
    "placement", "inbox placement", "instantly",
    (
        "instantly_inbox_placement_tests", "instantly_esp_options", "instantly_inbox_placement_analytics",
        "instantly_inbox_placement_reports",
    ),
    paid_by="the Inbox Placement add-on",
)
ACCOUNTS = Family(
    "accounts", "accounts and account daily", "instantly", ("instantly_accounts", "instantly_account_analytics_daily"),
)
WARMUP = Family("warmup", "warmup", "instantly", ("instantly_warmup_analytics_daily", "instantly_warmup_health"))
VITALS = Family("vitals", "domain vitals", "instantly", ("instantly_domain_vitals",))
TAGS = Family(
    "tags", "custom tags", "instantly", ("instantly_custom_tags", "instantly_custom_tag_mappings"),
)
FAMILIES = (CAMPAIGNS, PLACEMENT, ACCOUNTS, WARMUP, VITALS, TAGS)


def plan(say: Say, backfill: Optional[str] = None, keys: Optional[List[WorkspaceKey]] = None, **options: Any) -> Plan:
    """The families of every workspace: the single key's (`API_KEY`), or agency mode's
    (`WORKSPACES`, `WORKSPACE_GROUP_KEY`); or `keys` with source `options` (the demo's). Each
    workspace is asked once (`describe_workspace`) before any load; the settings are checked
    first, so a bad one costs no request. A revoked or unpaid key fails its workspace alone, and
    a key of a workspace another label already holds is skipped with a notice. `backfill`
    (FROM[:TO]) re-pulls those UTC days of the day-based tables."""
    base_url = options.get("base_url") or dlt.config.get("sources.instantly.base_url") or None
    if keys is None:
        keys = configured_keys(base_url, say)
    with named_settings("instantly"):  # the settings checked (the key's presence too), with no request
        if keys is None:
            instantly(**options)
            keys = [single_key()]
        else:
            instantly(api_key=keys[0].api_key, **options)
        parallel = int(dlt.config.get("sources.instantly.parallel_workspaces") or settings.DEFAULT_PARALLEL_WORKSPACES)
    single = [key.label for key in keys] == [settings.DEFAULT_WORKSPACE_LABEL]
    found = asyncio.run(current_workspaces(keys, lambda key: preflight_client(key, base_url)))
    duplicates = duplicate_of(found)
    specs: List[SourceSpec] = []
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
        make = partial(family_source, key, workspace, SharedBudget(), backfill, options)
        label = None if single else key.label
        workspace_id = str(workspace["id"]) if isinstance(workspace, dict) else None
        # rows the single key loaded before rows carried a workspace are that workspace's
        adopt = partial(adopt_unstamped_rows, workspace_id) if single and workspace_id else None
        specs += [
            SourceSpec(
                "instantly", partial(make, family), family, family.pipeline(label), label, workspace_id,
                before_merge=adopt,
            )
            for family in FAMILIES
        ]
    workspaces = len({spec.workspace for spec in specs})
    return Plan(specs, min(parallel, workspaces) * len(FAMILIES))


def family_source(
    key: WorkspaceKey, workspace: Any, budget: SharedBudget, backfill: Optional[str], options: dict,
    family: Family, stats: RunStats,
) -> DltSource:
    """One family of one workspace's source, for one load (`SourceSpec.make`)."""
    if isinstance(workspace, BaseException):
        raise WorkspaceUnavailable() from workspace
    run = WorkspaceRun(key, stats, workspace, budget)
    return family.of(instantly(api_key=key.api_key, backfill=backfill, run=run, **options))
