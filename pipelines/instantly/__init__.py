"""dlt source `instantly`: campaigns, campaign analytics, inbox placement, sender health
(accounts, their daily sending, warmup and DNS vitals) and custom tags from Instantly API v2.

The source checks its settings, makes one run's client, campaign catalog, request plan and day
window, and wires them to the resources (`resources.py`), which dlt runs concurrently.
"""

from typing import Any, AsyncIterator, Callable, Optional, Sequence

import dlt
from dlt.sources import DltResource

from pipelines.common.client import make_client
from pipelines.common.dates import DayWindow
from pipelines.common.errors import ConfigError
from pipelines.common.tracking import tracked_resource
from pipelines.instantly import settings
from pipelines.instantly.accounts import AccountList, WarmupAnswers
from pipelines.instantly.activity import plan_named
from pipelines.instantly.campaigns import DAILY_ENDPOINT, OVERVIEW_ENDPOINT, STEPS_ENDPOINT, CampaignCatalog, DayEndpoint
from pipelines.instantly.placement import PlacementTests
from pipelines.instantly.resources import (
    CAMPAIGN_COLUMNS,
    DAY_COLUMNS,
    MAPPING_COLUMNS,
    RECORD_COLUMNS,
    TAG_COLUMNS,
    TEST_COLUMNS,
    VITALS_COLUMNS,
    account_analytics_daily,
    campaign_analytics,
    campaign_analytics_by_day,
    campaigns,
    current_workspace,
    custom_tag_mappings,
    custom_tags,
    domain_vitals,
    esp_options,
    inbox_placement_records,
    inbox_placement_reports,
    inbox_placement_tests,
    sending_accounts,
    warmup_analytics_daily,
    warmup_health,
)
from pipelines.instantly.workspaces import CurrentWorkspace, WorkspaceKey, WorkspaceRun, stamped


@dlt.source(name="instantly", max_table_nesting=2)
def instantly(
    api_key: str = dlt.secrets.value,
    base_url: str = settings.DEFAULT_BASE_URL,
    start_date: Optional[str] = None,
    end_date: Optional[str] = None,
    lookback_days: int = settings.DEFAULT_LOOKBACK_DAYS,
    max_requests_per_second: float = settings.DEFAULT_MAX_REQUESTS_PER_SECOND,
    max_concurrency: int = settings.DEFAULT_MAX_CONCURRENCY,
    api_limit_per_second: float = settings.API_LIMIT_PER_SECOND,
    request_plan: str = settings.DEFAULT_REQUEST_PLAN,
    backfill: Optional[str] = None,
    run: Optional[WorkspaceRun] = None,
) -> Sequence[DltResource]:
    """Campaigns, their analytics and inbox placement, by UTC day, incremental with a lookback.

    Args:
        api_key: Instantly API v2 key (secret).
        base_url: API root, for a proxy or the local simulator.
        start_date: First UTC day of the first run's backfill (default: 90 days ago).
        end_date: Last UTC day to pull (default: today); for fixed-range backfills.
        lookback_days: Days before the last loaded day that every run pulls again, because
            recent numbers keep changing (late opens, replies, CRM statuses).
        max_requests_per_second: This pipeline's share of the workspace budget (max 100).
        max_concurrency: Requests in flight at once.
        api_limit_per_second: The most the API admits a second (Instantly: 100); see settings.
        request_plan: `activity` (ask the per-day endpoints only where a campaign did something
            that day) or `exhaustive` (every campaign, every day); both load the same rows.
        backfill: `FROM[:TO]`, UTC days to re-pull and merge in this run (the CLI's `--backfill`),
            whatever the cursors say; the cursors themselves are left as they are.
        run: The engine's load of one workspace (`WorkspaceRun`: its key and label, the
            workspace resolved before loading, its shared budget, where requests are counted).
            Without it, the single key's workspace `default`, counted apart.
    """
    run = run if run is not None else WorkspaceRun(WorkspaceKey(settings.DEFAULT_WORKSPACE_LABEL, str(api_key)))
    key = run.key
    if not key.api_key.strip():
        raise ConfigError(f"SOURCES__INSTANTLY__API_KEY is empty. {key.key_hint}")
    window = DayWindow.from_settings(
        "instantly", start_date, end_date, lookback_days, backfill, settings.DEFAULT_BACKFILL_DAYS
    )
    client = make_client(
        section="instantly",
        service="Instantly",
        base_url=base_url,
        auth=key.headers,
        secret=key.api_key,
        key_hint=key.key_hint,
        max_requests_per_second=max_requests_per_second,
        max_concurrency=max_concurrency,
        stats=run.stats.service("Instantly"),
        scopes=settings.SCOPES,
        budget=run.budget,
        api_limit=api_limit_per_second,
    )
    current = CurrentWorkspace(client, key.label, run.workspace)
    catalog = CampaignCatalog(client)
    plan = plan_named(request_plan, client, catalog)  # checked before any request
    tests = PlacementTests(client)
    accounts = AccountList(client)
    warmup = WarmupAnswers(client, accounts)
    in_flight = 4 * int(max_concurrency)

    def resource(fn: Callable[..., AsyncIterator[Any]], name: str, **hints: Any) -> Any:
        """A tracked resource whose rows carry the workspace id; merged on its primary key when
        it has one."""
        merge = {"write_disposition": "merge"} if "primary_key" in hints else {}
        return tracked_resource(stamped(fn, current), name, run.stats, **merge, **hints)

    def by_day(name: str, primary_key: Sequence[str], endpoint: DayEndpoint) -> DltResource:
        """A campaign-analytics resource by UTC day, on the window's day cursor."""
        return resource(campaign_analytics_by_day, name, primary_key=primary_key, columns=DAY_COLUMNS)(
            client=client, plan=plan, cursor=window.cursor(),
            window=window, in_flight=in_flight, endpoint=endpoint,
        )

    return (
        resource(current_workspace, "instantly_workspaces", primary_key="id")(workspace=current),
        resource(campaigns, "instantly_campaigns", primary_key="id", columns=CAMPAIGN_COLUMNS)(
            client=client, catalog=catalog,
        ),
        resource(campaign_analytics, "instantly_campaign_analytics", primary_key="campaign_id")(
            client=client, catalog=catalog,
        ),
        by_day("instantly_campaign_analytics_daily", ("campaign_id", "date"), DAILY_ENDPOINT),
        by_day("instantly_campaign_analytics_steps", ("campaign_id", "date", "step", "variant"), STEPS_ENDPOINT),
        by_day("instantly_campaign_analytics_overview", ("campaign_id", "date"), OVERVIEW_ENDPOINT),
        resource(inbox_placement_tests, "instantly_inbox_placement_tests", primary_key="id", columns=TEST_COLUMNS)(
            tests=tests,
        ),
        resource(
            esp_options, "instantly_esp_options", primary_key=("workspace_id", "region", "sub_region", "type", "esp"),
        )(client=client),
        resource(inbox_placement_records, settings.RECORDS_TABLE, primary_key="id", columns=RECORD_COLUMNS)(
            client=client, tests=tests, window=window, in_flight=in_flight,
        ),
        resource(inbox_placement_reports, "instantly_inbox_placement_reports", primary_key="id")(
            client=client, tests=tests, window=window, in_flight=in_flight,
        ),
        resource(sending_accounts, "instantly_accounts", primary_key=("workspace_id", "email"))(accounts=accounts),
        resource(
            account_analytics_daily, "instantly_account_analytics_daily",
            primary_key=("workspace_id", "email_account", "date"), columns=DAY_COLUMNS,
        )(client=client, accounts=accounts, cursor=window.cursor(), window=window, in_flight=in_flight),
        resource(
            warmup_analytics_daily, "instantly_warmup_analytics_daily", primary_key=("workspace_id", "email", "date"),
            columns=DAY_COLUMNS,
        )(warmup=warmup),
        resource(
            warmup_health, "instantly_warmup_health", primary_key=("workspace_id", "email", "date"), columns=DAY_COLUMNS,
        )(warmup=warmup),
        resource(
            domain_vitals, "instantly_domain_vitals", primary_key=("workspace_id", "domain", "date"),
            columns=VITALS_COLUMNS,
        )(client=client, accounts=accounts),
        resource(custom_tags, "instantly_custom_tags", primary_key="id", columns=TAG_COLUMNS)(client=client),
        resource(custom_tag_mappings, "instantly_custom_tag_mappings", primary_key="id", columns=MAPPING_COLUMNS)(
            client=client,
        ),
    )
