"""The simulator answers exactly as the OpenAPI spec says the real API does (200 schemas)."""

import hashlib
import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from extract_spec import called_paths
from pipelines.instantly import settings
from simulator.server import parse_faults
from spec_check import SPEC, get, registry, validator

OFFICIAL_SPEC = os.environ.get("OFFICIAL_OPENAPI_SPEC", "")
"""Where the full official spec is, when a developer has it: the extract is then checked against it."""


@pytest.fixture(scope="module")
def spec_registry():
    return registry()


def test_the_kept_extract_covers_every_endpoint_the_pipeline_calls():
    assert set(json.loads(SPEC.read_text())["paths"]) == called_paths(), "run python tests/extract_spec.py SPEC"


@pytest.mark.skipif(not OFFICIAL_SPEC, reason="set OFFICIAL_OPENAPI_SPEC to the official spec to check the extract")
def test_the_kept_extract_is_current_with_the_official_spec():
    extract = json.loads(SPEC.read_text())
    assert extract["info"]["source_sha256"] == hashlib.sha256(Path(OFFICIAL_SPEC).read_bytes()).hexdigest(), (
        "the spec changed: run python tests/extract_spec.py SPEC")


def a_campaign(sim) -> str:
    return next(c.id for c in sim.workspace.campaigns if c.listed and c.last_active)


def window(sim):
    ws = sim.workspace
    return [("start_date", ws.first_day.isoformat()), ("end_date", ws.today.isoformat())]


CASES = {
    "campaign list": lambda sim: (settings.CAMPAIGNS, [("limit", "100")]),
    "campaign list, last page": lambda sim: (
        settings.CAMPAIGNS,
        [("limit", "2"), ("starting_after", [c.id for c in sim.workspace.campaigns if c.listed][-1])],
    ),
    "current workspace": lambda sim: (settings.WORKSPACE_CURRENT, []),
    "lifetime analytics, all": lambda sim: (settings.CAMPAIGN_ANALYTICS, []),
    "one day's analytics, all": lambda sim: (
        settings.CAMPAIGN_ANALYTICS,
        [("start_date", f"{sim.workspace.today}T00:00:00.000Z"), ("end_date", f"{sim.workspace.today}T23:59:59.999Z"),
         ("exclude_total_leads_count", "true")],
    ),
    "lifetime analytics, ids": lambda sim: (
        settings.CAMPAIGN_ANALYTICS, [("ids", c.id) for c in sim.workspace.campaigns]
    ),
    "daily": lambda sim: (settings.CAMPAIGN_ANALYTICS_DAILY, [("campaign_id", a_campaign(sim))] + window(sim)),
    "steps": lambda sim: (
        settings.CAMPAIGN_ANALYTICS_STEPS,
        [("campaign_id", a_campaign(sim)), ("include_opportunities_count", "true")] + window(sim),
    ),
    "steps without opportunities": lambda sim: (
        settings.CAMPAIGN_ANALYTICS_STEPS, [("campaign_id", a_campaign(sim))] + window(sim)
    ),
    "overview": lambda sim: (settings.CAMPAIGN_ANALYTICS_OVERVIEW, [("id", a_campaign(sim))] + window(sim)),
    "overview, ids": lambda sim: (
        settings.CAMPAIGN_ANALYTICS_OVERVIEW, [("ids", c.id) for c in sim.workspace.campaigns] + window(sim)
    ),
    "inbox placement tests": lambda sim: (settings.INBOX_PLACEMENT_TESTS, [("limit", "100")]),
    "ESP options": lambda sim: (settings.ESP_OPTIONS, []),
    "per-email records": lambda sim: (
        settings.INBOX_PLACEMENT_RECORDS, [("limit", "100"), ("test_id", a_modern_test(sim))]
    ),
    "reports": lambda sim: (
        settings.INBOX_PLACEMENT_REPORTS, [("limit", "100"), ("test_id", a_modern_test(sim))]
    ),
    "accounts": lambda sim: (settings.ACCOUNTS, [("limit", "100")]),
    "accounts, last page": lambda sim: (settings.ACCOUNTS, [("limit", "2"), ("starting_after", accounts_cursor(sim, -2))]),
    "account daily analytics": lambda sim: (
        settings.ACCOUNT_ANALYTICS_DAILY, [("emails", e) for e in sim.accounts.emails] + window(sim)
    ),
    "custom tags": lambda sim: (settings.CUSTOM_TAGS, [("limit", "100")]),
    "custom tags of a campaign": lambda sim: (settings.CUSTOM_TAGS, [("resource_ids", a_campaign(sim))]),
    "custom tag mappings": lambda sim: (settings.CUSTOM_TAG_MAPPINGS, [("limit", "100")]),
}


def accounts_cursor(sim, index: int) -> str:
    """An account's cursor as the list serves it: `timestamp_created&email`."""
    account = sim.accounts.account(sim.accounts.listed()[index])
    return f"{account['timestamp_created']}&{account['email']}"


POSTS = {
    "stats by test id": lambda sim: (
        settings.INBOX_PLACEMENT_STATS, {"test_ids": [t.id for t in sim.placement.tests], "recipient_esp": [1]}
    ),
    "warmup analytics": lambda sim: (settings.WARMUP_ANALYTICS, {"emails": sim.accounts.emails}),
    "vitals": lambda sim: (settings.ACCOUNT_VITALS, {"accounts": sim.accounts.emails}),
}


def a_modern_test(sim) -> str:
    """A test whose records have today's shape (the legacy one keeps pre-2025-08 0/1 flags)."""
    return next(t.id for t in sim.placement.tests if not t.legacy_flags)


@pytest.mark.parametrize("case", CASES)
def test_every_200_response_matches_the_spec(sim, spec_registry, case):
    path, params = CASES[case](sim)
    status, body = get(sim, path, params)
    assert status == 200
    assert body, "validate a non-empty answer"
    errors = [e.message for e in validator(spec_registry, path).iter_errors(body)]
    assert errors == []


@pytest.mark.parametrize("case", POSTS)
def test_every_post_200_response_matches_the_spec(sim, spec_registry, case):
    path, body = POSTS[case](sim)
    status, answer = get(sim, path, body=body)
    assert status == 200 and answer
    assert [e.message for e in validator(spec_registry, path, method="post").iter_errors(answer)] == []


def test_the_spec_check_rejects_drift(sim, spec_registry):
    _, body = get(sim, settings.CAMPAIGNS, [("limit", "1")])
    body["items"][0]["status"] = "active"
    assert list(validator(spec_registry, settings.CAMPAIGNS).iter_errors(body))


def test_a_bad_window_gets_the_documented_400(sim, spec_registry):
    path = settings.CAMPAIGN_ANALYTICS_DAILY
    status, body = get(sim, path, [("start_date", "2026-02-02"), ("end_date", "2026-02-01")])
    assert status == 400
    assert body["message"] == "Start Date must be earlier than End Date"
    assert list(validator(spec_registry, path, "400").iter_errors(body)) == []


def test_a_wrong_key_gets_401_in_the_error_envelope(sim):
    status, body = get(sim, settings.CAMPAIGNS, [("limit", "10")], key="nope")
    assert status == 401
    assert set(body) == {"statusCode", "error", "message"}


def test_the_workspace_limit_answers_429_without_retry_after(sim):
    sim.state.limit.per_second, saved = 1, sim.state.limit.per_second
    request = urllib.request.Request(
        f"{sim.url}{settings.CAMPAIGN_ANALYTICS}", headers={"Authorization": f"Bearer {sim.api_key}"}
    )
    refusals = []
    try:
        for _ in range(5):
            try:
                urllib.request.urlopen(request, timeout=10).close()
            except urllib.error.HTTPError as error:
                refusals.append(error)
    finally:
        sim.state.limit.per_second = saved
    assert refusals and all(e.code == 429 for e in refusals)
    assert all("Retry-After" not in e.headers for e in refusals)


def test_faults_can_be_set_from_the_simulator_command_line():
    faults = parse_faults("server_error_rate=0.25, refuse_default_agents=true,page_size=5,latency_s=0.01:0.02")
    assert (faults.server_error_rate, faults.refuse_default_agents, faults.page_size) == (0.25, True, 5)
    assert faults.latency_s == (0.01, 0.02)
    with pytest.raises(ValueError, match="unknown fault 'typo'"):
        parse_faults("typo=1")


@pytest.mark.parametrize("path, params, body", [
    (settings.ACCOUNT_ANALYTICS_DAILY, [], None),
    (settings.ACCOUNT_ANALYTICS_DAILY, [("emails", f"a{n}@x.example") for n in range(201)], None),
    (settings.ACCOUNT_ANALYTICS_DAILY, [("emails", "a@x.example"), ("start_date", "2026-01-01"),
                                        ("end_date", "2026-02-01")], None),
    (settings.WARMUP_ANALYTICS, [], {"emails": [f"a{n}@x.example" for n in range(101)]}),
    (settings.WARMUP_ANALYTICS, [], {"emails": []}),
], ids=["no emails", "201 emails", "32 days", "101 warmup emails", "no warmup emails"])
def test_the_account_endpoints_refuse_what_the_api_refuses(sim, spec_registry, path, params, body):
    status, answer = get(sim, path, params, body=body)
    assert status == 400
    assert set(answer) == {"statusCode", "error", "message"}
