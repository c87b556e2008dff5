"""A destination that fails is described without its secret address; Slack gets a digest within its limits."""


import pytest

from pipelines.outputs.alerts.destinations import SLACK_MAX_CHARS, TOP_PER_WORKSPACE, DeliveryFailed, Event, digest, post_json


@pytest.mark.parametrize("url", ["hooks.example.com/services/T000/SECRET", "http://127.0.0.1:9/services/T000/SECRET"])
def test_a_failing_webhook_is_named_by_its_reason_never_by_its_address(url):
    with pytest.raises(DeliveryFailed) as failure:
        post_json(url, {"text": "x"})
    assert "SECRET" not in str(failure.value) and str(failure.value)


def alert(workspace: str, n: int, kind: str = "opened") -> Event:
    return Event(workspace, "mailbox_inbox_rate", f"sender{n}@{workspace}.example at Google", 0.25, 0.7, 4,
                 "inbox rate of sent 25% (n=4 seeds, test of 2026-12-04) is below 70%",
                 f"analytics.mailbox_placement_latest where mailbox_email = 'sender{n}@{workspace}.example'",
                 kind=kind, title="mailbox inbox rate of sent", first_seen_at="2026-12-04T05:00:00+00:00",
                 resolved_at=None)


def test_a_slack_digest_of_twelve_clients_stays_within_slacks_limit_and_names_every_client():
    events = [alert(f"client{c:02}", n) for c in range(12) for n in range(30)]
    text = digest(events, "the warehouse duckdb:/data/warehouse.duckdb, loaded 2026-12-05 05:12 UTC")
    lines = text.splitlines()
    assert len(text) <= SLACK_MAX_CHARS and lines[0] == "Deliverability alerts: 360 opened, 0 resolved"
    assert [line for line in lines if line.startswith("[client")] == [f"[client{c:02}] 30 opened, 0 resolved"
                                                                       for c in range(12)]
    listed = sum(line.startswith("• [client") for line in lines) // 12
    assert 0 < listed < TOP_PER_WORKSPACE
    assert lines.count(f"  and {30 - listed} more (the report lists them)") == 12


def test_a_digest_of_more_clients_than_fit_counts_the_rest():
    events = [alert(f"client{c:03}", 1) for c in range(300)]
    lines = digest(events, "the warehouse").splitlines()
    shown = sum(line.startswith("[client") for line in lines)
    assert len("\n".join(lines)) <= SLACK_MAX_CHARS and 0 < shown < 300
    assert lines[-1] == f"and {300 - shown} more workspaces with alerts (the report lists them)"


def test_a_short_digest_lists_every_alert_under_its_workspace():
    events = [alert("acme", 1), alert("acme", 2, "resolved"), alert("globex", 1)]
    lines = digest(events, "the warehouse").splitlines()
    assert lines[2:] == ["[acme] 1 opened, 1 resolved", f"• {events[0].line()}", f"• {events[1].line()}",
                         "[globex] 1 opened, 0 resolved", f"• {events[2].line()}"]
