"""Campaign Cleaner API endpoints and defaults (facts from the API reference, kept apart from code)."""

import re

SOURCE = "campaign_cleaner"
"""The dlt source's name: its schema, and the key of its state (which holds the job registry)."""
DEFAULT_BASE_URL = "https://api.campaigncleaner.com"

CREATE_INBOX_TEST = "/v1/create_inbox_test"
GET_INBOX_TEST_RESULTS = "/v1/get_inbox_test_results"

COMPLETED = "Completed"
"""The one terminal status; `Processing` can last forever when a seed never receives the email."""

NOT_FOUND_ERROR = re.compile(r"not found|does not exist|no such|unknown job|invalid job", re.IGNORECASE)
"""UNVERIFIED: the API documents no error codes, only an `error` text in the body. A job is taken
as unknown to the API (a typo'd id) on HTTP 404 or an `error` matching this; such a job is marked
`not_found` and never polled again. Change it here once a real answer shows the wording."""

DEFAULT_MAX_AGE_HOURS = 72
DEFAULT_MAX_REQUESTS_PER_SECOND = 5.0
"""Campaign Cleaner documents no rate limit: a polite budget."""
DEFAULT_MAX_CONCURRENCY = 5

KEY_HINT = "Check SOURCES__CAMPAIGN_CLEANER__API_KEY"


def create_body(name: str) -> dict:
    """UNVERIFIED: the `create_inbox_test` body is undocumented. Results echo `test_name`, so the
    name is sent under that key; change it here once a real call shows otherwise."""
    return {"test_name": name}

JOB_IDS_SETTING = "SOURCES__CAMPAIGN_CLEANER__JOB_IDS"
"""Where configured jobs live: a job named there that does not exist is fixed there."""
