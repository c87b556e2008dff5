"""Capability families: the groups of tables a workspace either allows or does not.

Real workspaces lack add-ons and keys lack scopes, and endpoints fail. Each family loads on a
pipeline of its own (its own cursors, its own load packages), so what one workspace does not
allow, or one broken endpoint, stops that family alone: the others load, and the run ledger
says what did not and why. This module is the one place that says which tables go together.
"""

from dataclasses import dataclass
from typing import Optional, Tuple

from pipelines.common.errors import ApiError


@dataclass(frozen=True)
class Family:
    """Tables loaded, or not, together."""

    name: str
    """Its key in the run ledger and in pipeline names."""
    title: str
    """How output lines and the report name it."""
    source: str
    """The dlt source (and settings section) its resources belong to."""
    resources: Tuple[str, ...]
    required: bool = False
    """A workspace that refuses a required family fails, as a revoked key does."""
    paid_by: str = "the plan"
    """What an HTTP 402 (payment required) on its endpoints says is missing."""

    def unsupported_because(self, error: ApiError) -> str:
        """What would enable the family, from the refusal (402: the add-on or plan; 403: the
        key's missing scope)."""
        if error.status == 402:
            return f"needs {self.paid_by}"
        if error.scope:
            return f"needs the {error.scope} scope on the key"
        return "needs a scope the key lacks (the API answered 403)"


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
CAMPAIGN_CLEANER = Family(
    "campaign_cleaner", "Campaign Cleaner seed tests", "campaign_cleaner",
    ("campaign_cleaner_inbox_tests", "campaign_cleaner_inbox_test_results"),
    paid_by="Campaign Cleaner credits",
)

INSTANTLY_FAMILIES = (CAMPAIGNS, PLACEMENT, ACCOUNTS, WARMUP, VITALS, TAGS)
FAMILIES = INSTANTLY_FAMILIES + (CAMPAIGN_CLEANER,)


def refusal(exc: BaseException) -> Optional[ApiError]:
    """The API's refusal (402 or 403) anywhere in the exception chain dlt wraps, if that is
    what ended a family."""
    from pipelines.engine.explain import chain

    return next((e for e in chain(exc) if isinstance(e, ApiError) and e.refused), None)
