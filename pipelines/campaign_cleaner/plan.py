"""What the Campaign Cleaner source loads: its one family, on the warehouse's own pipeline (whose
state holds the job registry), when its key is set."""

from typing import Any, Callable, Optional

import dlt

from pipelines.campaign_cleaner import campaign_cleaner, settings
from pipelines.common.sources import Family, Plan, SourceSpec

FAMILY = Family(
    "campaign_cleaner", "Campaign Cleaner seed tests", settings.SOURCE,
    ("campaign_cleaner_inbox_tests", "campaign_cleaner_inbox_test_results"),
    paid_by="Campaign Cleaner credits", schema_name=settings.SOURCE,
)
"""Loaded whole, under the source's own name: its schema and state (the job registry) keep it."""
FAMILIES = (FAMILY,)


def spec(**options: Any) -> SourceSpec:
    """The family with source `options` (the registry changes of `seed-tests`, the demo's settings)."""
    return SourceSpec(settings.SOURCE, lambda stats: campaign_cleaner(run=stats, **options), FAMILY)


def plan(say: Callable[[str], None], backfill: Optional[str] = None, **options: Any) -> Plan:
    """Campaign Cleaner's seed tests when its key is set (or given in `options`); else a notice
    and nothing to load. `backfill` is every source's argument: seed tests have no days to
    re-pull (each job is polled until it is final)."""
    if not options.get("api_key") and not dlt.secrets.get("sources.campaign_cleaner.api_key"):
        say("notice: Campaign Cleaner skipped (SOURCES__CAMPAIGN_CLEANER__API_KEY is not set)")
        return Plan([], 0)
    return Plan([spec(**options)])
