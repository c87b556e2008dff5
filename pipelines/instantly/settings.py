"""Instantly API v2 endpoints and defaults (facts from the API reference, kept apart from code)."""

DEFAULT_BASE_URL = "https://api.instantly.ai"

CAMPAIGNS = "/api/v2/campaigns"
CAMPAIGN_ANALYTICS = "/api/v2/campaigns/analytics"
CAMPAIGN_ANALYTICS_DAILY = "/api/v2/campaigns/analytics/daily"
CAMPAIGN_ANALYTICS_STEPS = "/api/v2/campaigns/analytics/steps"
CAMPAIGN_ANALYTICS_OVERVIEW = "/api/v2/campaigns/analytics/overview"
INBOX_PLACEMENT_TESTS = "/api/v2/inbox-placement-tests"
ESP_OPTIONS = "/api/v2/inbox-placement-tests/email-service-provider-options"
INBOX_PLACEMENT_RECORDS = "/api/v2/inbox-placement-analytics"
INBOX_PLACEMENT_STATS = "/api/v2/inbox-placement-analytics/stats-by-test-id"
INBOX_PLACEMENT_REPORTS = "/api/v2/inbox-placement-reports"

CUSTOM_TAGS = "/api/v2/custom-tags"
CUSTOM_TAG_MAPPINGS = "/api/v2/custom-tag-mappings"

WORKSPACE_CURRENT = "/api/v2/workspaces/current"
WORKSPACE_GROUP_MEMBERS = "/api/v2/workspace-group-members"
AS_WORKSPACE_HEADER = "x-as-workspace"
"""UNVERIFIED (Instantly's starter kit, not the spec): an admin key of a workspace group acts on a
member workspace when a request carries this header with the member's id."""

ACCOUNTS = "/api/v2/accounts"
ACCOUNT_ANALYTICS_DAILY = "/api/v2/accounts/analytics/daily"
WARMUP_ANALYTICS = "/api/v2/accounts/warmup-analytics"
ACCOUNT_VITALS = "/api/v2/accounts/test/vitals"

SCOPES = {
    CAMPAIGNS: "campaigns:read",
    INBOX_PLACEMENT_TESTS: "inbox_placement_tests:read",
    INBOX_PLACEMENT_RECORDS: "inbox_placement_analytics:read",
    INBOX_PLACEMENT_REPORTS: "inbox_placement_reports:read",
    ACCOUNTS: "accounts:read",
    WARMUP_ANALYTICS: "accounts:read",
    WORKSPACE_CURRENT: "workspaces:read",
    CUSTOM_TAGS: "custom_tags:read",
    CUSTOM_TAG_MAPPINGS: "custom_tag_mappings:read",
    WORKSPACE_GROUP_MEMBERS: "workspace_group_members:read",
}
"""The read scope a key needs for an endpoint (API reference), named when the API answers 403."""

EMAILS_PER_DAILY_REQUEST = 200
"""`emails` per /accounts/analytics/daily request: the API refuses more (1-200, repeated `emails=`)."""
DAYS_PER_DAILY_REQUEST = 31
"""The longest window /accounts/analytics/daily accepts."""
EMAILS_PER_WARMUP_REQUEST = 100
"""`emails` per warmup-analytics body: the API refuses more (1-100)."""
DOMAINS_PER_VITALS_REQUEST = 50
"""Vitals are per sending domain: one account per domain is asked, 50 per body (a public
client's batch; the API documents no limit)."""
WARMUP_COUNTERS = ("sent", "landed_inbox", "landed_spam", "received")
"""Warmup counters: live answers leave one out when it is 0 (`landed_spam`); stored as 0."""

RECORDS_TABLE = "instantly_inbox_placement_analytics"
STATS_TABLE = "instantly_inbox_placement_stats"

PLACEMENT_FLAGS = ("is_spam", "has_category", "spf_pass", "dkim_pass", "dmarc_pass")
"""Booleans in today's API, 0/1 numbers in records from before 2025-08: loaded as booleans."""

TEST_IDS_PER_STATS_REQUEST = 100
"""Test ids per stats-by-test-id body (the API documents no maximum; 100 keeps bodies small)."""

IDS_PER_REQUEST = 100
"""Campaign ids per `ids=` batch: 100 UUIDs keep a URL near 4 kB, well inside server limits."""

UNKNOWN_STEP = "unknown"
"""Stands in for a null `step` or `variant` (the API's "could not determine") in the merge key:
real values are digit strings, so the two stay distinguishable and the key never holds a null."""

REQUEST_PLANS = ("activity", "exhaustive")
"""How the per-day campaign endpoints are asked (`SOURCES__INSTANTLY__REQUEST_PLAN`):
`activity` asks `/steps` and `/overview` only for the (campaign, UTC day) pairs where something
happened, and `/daily` only for campaigns with such a day in the window; `exhaustive` asks every
campaign for every day since it was created. Both load the same rows (see `activity.py`)."""
DEFAULT_REQUEST_PLAN = "activity"

STEP_SIGNALS = (
    "emails_sent_count",
    "open_count",
    "open_count_unique",
    "reply_count",
    "reply_count_unique",
    "reply_count_automatic",
    "link_click_count",
    "link_click_count_unique",
    "total_opportunities",
)
"""`/steps` is asked for a (campaign, day) only when one of these is above 0 that day: the
day's sends, opens, replies, clicks and opportunities are everything it counts. Its
`meetings_booked` and `won` count opportunities of the day "whose current CRM status" is that
(API reference), so they are 0 when the day's opportunities are."""
DAILY_SIGNALS = STEP_SIGNALS + ("contacted_count", "new_leads_contacted_count")
"""`/daily` is asked for a campaign only when one of these is above 0 on some day of the window,
and then from the first such day to the last: its rows count nothing else."""
ACTIVITY_FIELDS = DAILY_SIGNALS + (
    "bounced_count",
    "unsubscribed_count",
    "completed_count",
    "total_opportunity_value",
)
"""The fields of one day's `/campaigns/analytics` (all campaigns, deleted ones too) that mark a
campaign active that day. Any of them above 0 and its `/overview` is asked for that day.

They are not enough on their own: CRM updates (interested, meeting booked or completed, closed)
appear only in `/overview`. So every campaign the map shows idle on a day is checked with
`/overview?ids=...` for that day, 100 ids at a time, and a group that counts anything is halved
until the campaigns behind it are found, whose fields above 0 then decide as the map's do. A
pair is skipped only when `/overview` itself counts nothing for it, and every counter of `/steps`
and `/daily` has its counterpart there, so what a skipped request would have served is zeros."""

DEFAULT_LOOKBACK_DAYS = 7
DEFAULT_BACKFILL_DAYS = 90
"""Without a configured start date, the first run backfills this many days."""

DEFAULT_MAX_REQUESTS_PER_SECOND = 10.0
"""Polite share of the workspace budget (100 req/s, 6,000 req/min, shared by every integration)."""

API_LIMIT_PER_SECOND = 100.0
"""Instantly's documented limit per workspace, the most `MAX_REQUESTS_PER_SECOND` may be. Raise
it only for a server that admits more: a proxy, or the project's simulator in tests."""

DEFAULT_MAX_CONCURRENCY = 20

KEY_HINT = "Check SOURCES__INSTANTLY__API_KEY (a v2 key with read scopes for this workspace)"

DEFAULT_WORKSPACE_LABEL = "default"
"""The label of the one workspace of the single-key form (`API_KEY`)."""
DEFAULT_PARALLEL_WORKSPACES = 10
"""Agency mode: workspaces whose families extract at once, unless `SOURCES__INSTANTLY__PARALLEL_WORKSPACES` says."""
WORKSPACE_LABEL = r"^[a-z0-9][a-z0-9_-]{0,39}$"
"""A label of `WORKSPACES`: it names the workspace's pipeline state and its lines in the output."""
