"""Alerts as cron runs them: after each successful dbt build the rules read the marts, and what
opened or resolved goes once to Slack, a JSON webhook and email (local receivers on 127.0.0.1).

One workspace of its own, run as cron would: (1) the webhook is down; (2) the rules evaluated again
the same day with the webhook back (`python -m pipelines alerts`, the command an hourly alerts cron
runs: the same evaluation as a run's, on the same marts); (3) a run after the failing domain's DNS
was fixed; (4) a run with a scope missing, an endpoint failing and a freshness limit of 0 hours.
"""

import copy
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List

import duckdb
import pendulum
import pytest

from helpers import Sim, env_for, run_command, seed_sends, serving, wilson
from pipelines.common.dates import utc_today
from receivers import HttpReceiver, Mailbox
from simulator.accounts import AccountsWorkspace
from simulator.placement import PlacementWorkspace
from simulator.workspace import Workspace

SLACK_PATH = "/services/T000/B000/slack-secret-path"
TOKEN = "hook-token-secret"
DATA_RULES = ("mailbox_inbox_rate", "domain_dns", "mailbox_bounce_rate", "warmup_spam", "test_worst_cell")


@dataclass
class Run:
    """One cron run: what it printed, its exit code, and what each destination received during it."""

    stdout: str
    stderr: str
    code: int
    slack: List[dict]
    hooks: List[dict]
    mails: list


@dataclass
class Scenario:
    sim: Sim
    db: Path
    logs: Path
    fixed_domain: str
    runs: Dict[int, Run] = field(default_factory=dict)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Iterator[Scenario]:
    root = tmp_path_factory.mktemp("alerts")
    http, mail = HttpReceiver(), Mailbox(root)
    accounts = AccountsWorkspace(accounts=6, days=10)
    placement = PlacementWorkspace(tests=2, days=10, senders=accounts.emails[:3], sender_esps=accounts.sender_esps())
    try:
        with serving(Workspace(campaigns=3, days=10), placement, accounts) as sim:
            env = env_for(sim, root, ALERTS__SLACK__WEBHOOK_URL=f"{http.url}{SLACK_PATH}",
                          ALERTS__WEBHOOK__URL=f"{http.url}/hook", ALERTS__WEBHOOK__TOKEN=TOKEN,
                          ALERTS__EMAIL__HOST="127.0.0.1", ALERTS__EMAIL__PORT=str(mail.port),
                          ALERTS__EMAIL__FROM="alerts@agency.example", ALERTS__EMAIL__TO='["lead@agency.example"]',
                          ALERTS__EMAIL__CA_FILE=str(mail.ca_file))
            [domain] = sorted(accounts.failing)
            scenario = Scenario(sim, root / "warehouse.duckdb", root / "logs", domain)

            def run(n: int, command: str = "run", **extra: str) -> None:
                posts, mails = copy.deepcopy(http.posts), len(mail.messages)
                done = run_command(command, dict(env, **extra))
                scenario.runs[n] = Run(
                    done.stdout, done.stderr, done.returncode,
                    http.posts.get(SLACK_PATH, [])[len(posts.get(SLACK_PATH, [])):],
                    http.posts.get("/hook", [])[len(posts.get("/hook", [])):], mail.messages[mails:])

            http.down = {"/hook"}
            run(1)
            http.down = set()
            run(2, "alerts")
            accounts.failing = set()  # the domain's DNS is fixed
            run(3)
            sim.state.reset(missing_scope="accounts:read", failing_path="/api/v2/custom-tag-mappings")
            run(4, ALERTS__RULES__DATA_STALE__THRESHOLD="0")
            sim.state.reset()
            accounts.failing = {domain}  # the simulator's truth as the first runs saw it
            yield scenario
    finally:
        http.close()
        mail.close()


def events(run: Run) -> List[dict]:
    return [alert for post in run.hooks for alert in post["alerts"]]


def opened(run: Run) -> Dict[tuple, dict]:
    return {(e["rule"], e["subject"]): e for e in events(run) if e["kind"] == "opened"}


def truth(sim) -> Dict[tuple, float]:
    """(rule, subject) -> figure, for every default rule over the data rules, from the simulator."""
    today = utc_today()
    week = [today.subtract(days=n) for n in range(7)]
    out: Dict[tuple, float] = {}
    latest: Dict[tuple, tuple] = {}
    cells: Dict[tuple, Counter] = {}
    for test_id, day, sender, esp, _, landed in seed_sends(sim.placement):
        counts = cells.setdefault((test_id, day, sender, esp), Counter())
        counts["sent"] += 1
        counts["inbox"] += landed == "inbox"
        latest[sender, esp] = max(latest.get((sender, esp), (day, test_id)), (day, test_id))
    for (sender, esp), (day, test_id) in latest.items():
        c = cells[test_id, day, sender, esp]
        # within the test window, on 2 seeds at least, and its whole 95% interval below the threshold
        if (today - day).days < 14 and c["sent"] >= 2 and wilson(c["inbox"], c["sent"])[1] < 0.7:
            out["mailbox_inbox_rate", f"{sender} at {esp}"] = c["inbox"] / c["sent"]
    for domain in sim.accounts.failing:
        out["domain_dns", domain] = 2.0
    for a in sim.accounts.listed():
        warm = [sim.accounts.warmup(a.email, d) for d in week if d in sim.accounts.warmup_days()]
        spam, landed = sum(w.get("landed_spam", 0) for w in warm), sum(w["landed_inbox"] + w.get("landed_spam", 0) for w in warm)
        # on 10 warmup emails at least, and the whole 95% interval above the threshold
        if landed >= 10 and wilson(spam, landed)[0] > 0.1:
            out["warmup_spam", a.email] = spam / landed
        busy = [row for d in week if (row := sim.accounts.daily(a.email, d)) and row["sent"] >= 20]
        if busy:
            row = max(busy, key=lambda r: r["date"])
            if wilson(min(row["bounced"], row["sent"]), row["sent"])[0] > 0.05:
                out["mailbox_bounce_rate", a.email] = row["bounced"] / row["sent"]
    return out


def test_each_default_rule_fires_once_with_its_subject_and_figure(scenario):
    runs = scenario.runs
    expected = truth(scenario.sim)
    found = {key: e for key, e in opened(runs[2]).items() if key[0] in DATA_RULES}
    assert {rule for rule, _ in expected} | {"test_worst_cell"} == set(DATA_RULES), "the simulator trips every data rule"
    assert {k: v for k, v in found.items() if k[0] != "test_worst_cell"}.keys() == expected.keys()
    assert all(found[key]["figure"] == pytest.approx(figure) for key, figure in expected.items())
    worst = [e for (rule, _), e in found.items() if rule == "test_worst_cell"]
    assert worst, "the burned mailbox's tests have a cell beyond doubt"
    for alert in worst:  # on enough seeds, and the whole interval below the threshold
        high = re.search(r"95% interval \d+%-(\d+)%", alert["message"])
        assert alert["n"] >= 3 and high and int(high[1]) < 50, alert["message"]
    assert Counter((e["rule"], e["subject"]) for e in events(runs[2])).most_common(1)[0][1] == 1


def test_a_message_names_the_workspace_the_figure_against_the_threshold_with_its_n_and_the_mart_row(scenario):
    runs = scenario.runs
    alert = opened(runs[2])["domain_dns", scenario.fixed_domain]
    assert alert["workspace"] == "default"
    assert alert["mart_row"] == f"analytics.sender_domain_dns_latest where domain = '{scenario.fixed_domain}'"
    inbox = next(e for (rule, _), e in opened(runs[2]).items() if rule == "mailbox_inbox_rate")
    assert "is below 70%" in inbox["message"] and "seeds" in inbox["message"] and inbox["n"] >= 2
    assert inbox["message"].startswith("[default] mailbox inbox rate of sent, ")


def slack_alerts(post: dict) -> int:
    """The alerts a Slack digest accounts for: those it lists, and those it counts as `and K more`."""
    lines = post["text"].splitlines()
    more = sum(int(m[1]) for line in lines if (m := re.fullmatch(r"  and (\d+) more \(the report lists them\)", line)))
    return sum(line.startswith("• ") for line in lines) + more


def test_every_destination_gets_the_same_alerts(scenario):
    runs = scenario.runs
    assert len(runs[1].slack) == 1 and len(runs[1].mails) == 1
    assert slack_alerts(runs[1].slack[0]) == len(events(runs[2])) > 0
    assert runs[1].mails[0]["Subject"] == runs[1].slack[0]["text"].splitlines()[0]
    assert runs[2].hooks[0]["_authorization"] == f"Bearer {TOKEN}"


def test_a_destination_that_is_down_does_not_fail_the_run_and_gets_the_alerts_next_run(scenario):
    runs = scenario.runs
    assert runs[1].code == 0 and runs[1].hooks == []
    [notice] = [line for line in runs[1].stdout.splitlines() if line.startswith("notice: alerts")]
    assert notice.startswith("notice: alerts to webhook failed (HTTP 500): ") and "kept for the next run" in notice
    assert len(events(runs[2])) == slack_alerts(runs[1].slack[0])


def test_a_rerun_the_same_day_sends_nothing_new(scenario):
    runs = scenario.runs
    assert runs[2].slack == [] and runs[2].mails == []
    assert any(line.startswith("alerts: nothing new (") for line in runs[2].stdout.splitlines())


def test_a_fixed_condition_resolves_once_everywhere(scenario):
    runs, domain = scenario.runs, scenario.fixed_domain
    resolved = [e for e in events(runs[3]) if e["kind"] == "resolved"]
    assert [(e["rule"], e["subject"]) for e in resolved] == [("domain_dns", domain)]
    assert "resolved: domain DNS check failing, " in runs[3].slack[0]["text"]
    with duckdb.connect(str(scenario.db), read_only=True) as con:
        assert con.execute("select status, resolved_at is not null from raw.alert_state"
                           " where rule = 'domain_dns'").fetchall() == [("resolved", True)]


def test_a_failed_family_an_unsupported_one_and_stale_data_each_alert(scenario):
    runs = scenario.runs
    found = opened(runs[4])
    assert runs[4].code == 1  # the failed family still fails the run; its alert is sent all the same
    assert [s for r, s in found if r == "family_unsupported"] == ["accounts, vitals, warmup"]  # one cause, one alert
    assert {s for r, s in found if r == "run_failed"} == {"tags"}
    assert {s for r, s in found if r == "data_stale"} >= {"campaigns", "placement"}


def test_no_secret_reaches_the_output_the_logs_or_the_warehouse(scenario):
    printed = "".join(r.stdout + r.stderr for r in scenario.runs.values())
    logs = "".join(path.read_text() for path in scenario.logs.glob("*.log"))
    with duckdb.connect(str(scenario.db), read_only=True) as con:
        stored = str(con.execute("select * from raw.alert_deliveries").fetchall())
    for secret in (SLACK_PATH, TOKEN):
        assert secret not in printed and secret not in logs and secret not in stored


def test_the_alert_state_keeps_first_and_last_seen(scenario):
    with duckdb.connect(str(scenario.db), read_only=True) as con:
        rows = con.execute("select first_seen_at, last_seen_at from raw.alert_state where status = 'open'"
                           " and rule = 'mailbox_inbox_rate'").fetchall()
    assert rows and all(first < last for first, last in rows)
    assert all(pendulum.instance(first).in_tz("UTC").date() == utc_today() for first, _ in rows)


def test_every_message_names_the_warehouse_and_when_it_was_loaded(scenario):
    first = scenario.runs[1]
    source = re.compile(rf"From the warehouse duckdb:{re.escape(str(scenario.db))}, loaded \d{{4}}-\d\d-\d\d \d\d:\d\d UTC\.")
    assert first.slack and all(source.search(post["text"]) for post in first.slack)
    assert first.mails and all(source.search(mail.get_payload(decode=True).decode()) for mail in first.mails)
    assert all(mail["To"] == "lead@agency.example" for mail in first.mails)
    assert all(source.fullmatch(f"From {post['source']}.") for post in scenario.runs[2].hooks)
