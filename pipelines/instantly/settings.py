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

DEFAULT_LOOKBACK_DAYS = 7
DEFAULT_BACKFILL_DAYS = 90
"""Without a configured start date, the first run backfills this many days."""

DEFAULT_MAX_REQUESTS_PER_SECOND = 10.0
"""Polite share of the workspace budget (100 req/s, 6,000 req/min, shared by every integration)."""

DEFAULT_MAX_CONCURRENCY = 20

KEY_HINT = "Check SOURCES__INSTANTLY__API_KEY (a v2 key with read scopes for this workspace)"
