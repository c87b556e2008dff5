"""Alert settings as users write them: lists in TOML, as JSON in one variable (as dlt reads
list-valued variables) or comma-separated; an address or a pattern list that cannot be what was
meant is one line naming the variable, never a mail to nobody or a silent resolve."""

from typing import List

import pytest

from pipelines.common.errors import ConfigError
from pipelines.outputs.alerts.destinations import DeliveryFailed, Event, email
from pipelines.outputs.alerts.rules import MAILBOX_INBOX_RATE, Finding
from pipelines.outputs.alerts.settings import email_settings, rule_settings
from receivers import Mailbox

RULE = "ALERTS__RULES__MAILBOX_INBOX_RATE__SUBJECTS"


def finding(subject: str, workspace: str = "acme") -> Finding:
    return Finding(workspace, MAILBOX_INBOX_RATE.name, subject, 0.5, 0.7, 4, "inbox rate of sent 50%", "analytics.x")


@pytest.fixture
def smtp_env(monkeypatch):
    monkeypatch.setenv("ALERTS__EMAIL__HOST", "127.0.0.1")
    monkeypatch.setenv("ALERTS__EMAIL__FROM", "alerts@x.example")
    return monkeypatch


@pytest.mark.parametrize("written", ['["lead@x.example", "ops@x.example"]', "lead@x.example, ops@x.example"])
def test_email_recipients_may_be_a_json_list_or_comma_separated(smtp_env, written):
    smtp_env.setenv("ALERTS__EMAIL__TO", written)
    assert email_settings().recipients == ["lead@x.example", "ops@x.example"]


@pytest.mark.parametrize("written", ['["lead@x.example"', "lead", '[["lead@x.example"]]', "lead@localhost"])
def test_an_email_recipient_that_is_no_address_is_one_line_naming_the_variable(smtp_env, written):
    smtp_env.setenv("ALERTS__EMAIL__TO", written)
    with pytest.raises(ConfigError, match="ALERTS__EMAIL__TO"):
        email_settings()


@pytest.mark.parametrize("written", ['["*"]', "*", '["acme", "other*"]', "acme, other*"])
def test_rule_subjects_may_be_a_json_list_or_comma_separated(monkeypatch, written):
    monkeypatch.setenv(RULE, written)
    assert rule_settings(MAILBOX_INBOX_RATE).covers(finding("a@acme.example at Google"))


def test_subjects_that_match_none_of_the_rules_open_alerts_are_an_error_not_a_resolve(monkeypatch):
    monkeypatch.setenv(RULE, '["globex"]')
    settings = rule_settings(MAILBOX_INBOX_RATE)
    with pytest.raises(ConfigError, match=RULE):
        settings.check_covers([finding("a@acme.example at Google")], [("acme", "a@acme.example at Google")])


def test_subjects_narrowed_to_some_of_the_open_alerts_resolve_the_others(monkeypatch):
    monkeypatch.setenv(RULE, "b@*")
    settings = rule_settings(MAILBOX_INBOX_RATE)
    settings.check_covers([], [("acme", "a@acme.example at Google"), ("acme", "b@acme.example at Google")])


def events(subject: str) -> List[Event]:
    return [Event(**vars(finding(subject)), kind="opened", title="mailbox inbox rate", first_seen_at="2026-12-01T00:00:00",
                  resolved_at=None)]


def test_a_mail_every_recipient_refused_is_a_failed_delivery(smtp_env, tmp_path):
    mailbox = Mailbox(tmp_path, refuse={"lead@x.example"})
    try:
        smtp_env.setenv("ALERTS__EMAIL__TO", '["lead@x.example"]')
        smtp_env.setenv("ALERTS__EMAIL__PORT", str(mailbox.port))
        smtp_env.setenv("ALERTS__EMAIL__CA_FILE", str(mailbox.ca_file))
        with pytest.raises(DeliveryFailed):
            email(email_settings())(events("a@acme.example at Google"), "the warehouse duckdb:/tmp/w.duckdb")
        assert mailbox.messages == []
    finally:
        mailbox.close()


def test_a_json_list_of_recipients_is_each_an_envelope_recipient(smtp_env, tmp_path):
    mailbox = Mailbox(tmp_path)
    try:
        smtp_env.setenv("ALERTS__EMAIL__TO", '["lead@x.example", "ops@x.example"]')
        smtp_env.setenv("ALERTS__EMAIL__PORT", str(mailbox.port))
        smtp_env.setenv("ALERTS__EMAIL__CA_FILE", str(mailbox.ca_file))
        email(email_settings())(events("a@acme.example at Google"), "the warehouse duckdb:/tmp/w.duckdb")
        assert mailbox.recipients == [["lead@x.example", "ops@x.example"]]
    finally:
        mailbox.close()
