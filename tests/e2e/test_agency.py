"""Agency mode: several Instantly workspaces (one key each) side by side in one warehouse.

Two simulated client workspaces sit behind one address, each with its own data and limit; they
share a mailbox, as agencies' clients sometimes do. Loaded together they must equal each loaded
alone, and a workspace whose key fails must fail alone.
"""

import re
from collections import Counter
from pathlib import Path
from typing import List

import duckdb
import pytest

from helpers import ADMIN_KEY, BAR, KEYS, env_for, run_cli, run_command, run_on_terminal
from pipelines.common.dates import utc_today
from pipelines.outputs.report import write_report
from simulator.compare import warehouse_tables
from spec_check import get, registry, validator


@pytest.fixture(scope="module")
def loads(agency_run, agency, tmp_path_factory):
    """Warehouses: both workspaces together (`agency_run`), and each alone; and what the run of
    both printed."""
    out: dict = {"both": agency_run.warehouse.db, "both printed": agency_run.result.stdout}
    for label in KEYS:
        root = tmp_path_factory.mktemp(label)
        done = run_cli(agency.env(root, {label: KEYS[label]}))
        assert done.returncode == 0, done.stdout + done.stderr
        out[label] = root / "warehouse.duckdb"
    return out


def query(db: Path, sql: str) -> List[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_two_workspaces_in_one_warehouse_equal_each_loaded_alone(loads):
    both, acme, globex = (warehouse_tables(loads[name]) for name in ("both", "acme", "globex"))
    assert both.keys() == acme.keys() == globex.keys()
    for table in both:
        if table == "analytics.source_freshness":
            continue
        assert Counter(both[table]) == Counter(acme[table]) + Counter(globex[table]), table


def test_every_row_carries_its_workspace_and_the_workspaces_table_names_them(agency, loads):
    rows = query(loads["both"], "select id, name, label from raw.instantly_workspaces order by label")
    assert rows == [(agency.workspaces[label].id, agency.workspaces[label].name, label) for label in KEYS]
    tables = ("instantly_campaigns", "instantly_campaign_analytics_steps", "instantly_accounts",
              "instantly_inbox_placement_analytics")
    for table in tables:
        assert query(loads["both"], f"select count(*) from raw.{table} where workspace_id is null") == [(0,)], table


def test_a_mailbox_in_two_workspaces_keeps_a_row_in_each(agency, loads):
    per_email = query(loads["both"], "select email, count(distinct workspace_id) from raw.instantly_accounts group by 1")
    assert per_email and all(n == 2 for _, n in per_email)


def test_a_revoked_key_fails_alone_with_one_line_naming_its_label(agency, tmp_path):
    done = run_cli(agency.env(tmp_path, {"acme": KEYS["acme"], "former-client": "revoked-key-9"}), "--skip-dbt")
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "former-client" in errors[0] and "HTTP 401" in errors[0], done.stderr
    assert "revoked-key-9" not in done.stdout + done.stderr
    assert "SOURCES__INSTANTLY__WORKSPACES" in errors[0]
    db = tmp_path / "warehouse.duckdb"
    assert query(db, "select label from raw.instantly_workspaces") == [("acme",)]
    assert query(db, "select count(*) from raw.instantly_campaigns")[0][0] > 0


def test_an_unpaid_workspace_fails_alone_and_loads_nothing(agency, tmp_path):
    agency.states["globex"].reset(unpaid=True)
    try:
        done = run_cli(agency.env(tmp_path, KEYS), "--skip-dbt")
    finally:
        agency.states["globex"].reset()
    assert done.returncode == 1
    assert "globex" in done.stderr and "HTTP 402" in done.stderr
    db = tmp_path / "warehouse.duckdb"
    assert query(db, "select distinct workspace_id from raw.instantly_campaigns") == [(agency.workspaces["acme"].id,)]


def test_a_second_key_of_the_same_workspace_is_loaded_once(agency, tmp_path):
    done = run_cli(agency.env(tmp_path, {**KEYS, "acme-again": KEYS["acme"]}), "--skip-dbt")
    assert done.returncode == 0, done.stderr
    assert "workspace acme-again skipped" in done.stdout
    assert query(tmp_path / "warehouse.duckdb", "select count(*) from raw.instantly_workspaces") == [(2,)]


@pytest.mark.parametrize("value, complaint", [
    ("not json", "must be a JSON object"),
    ('{"Acme Corp": "k"}', "label 'Acme Corp'"),
    ('{"acme": ""}', "the key of workspace 'acme' is empty"),
    ('{"acme": "key-1", "globex": "key-2", "acme": "key-3"}', "label 'acme' is given 2 times"),
])
def test_a_malformed_workspaces_setting_is_one_line(agency, tmp_path, value, complaint):
    env = agency.env(tmp_path, {})
    env["SOURCES__INSTANTLY__WORKSPACES"] = value
    done = run_cli(env)
    assert done.returncode == 1
    assert complaint in done.stderr and "SOURCES__INSTANTLY__WORKSPACES" in done.stderr
    assert done.stderr.strip().count("\n") == 0


def test_a_single_key_beside_the_workspaces_is_ignored_with_a_notice(agency, tmp_path):
    env = dict(agency.env(tmp_path, {"acme": KEYS["acme"]}), SOURCES__INSTANTLY__API_KEY=KEYS["globex"])
    done = run_cli(env, "--skip-dbt")
    assert done.returncode == 0, done.stderr
    assert "notice: SOURCES__INSTANTLY__API_KEY is ignored: SOURCES__INSTANTLY__WORKSPACES is set" in done.stdout
    assert query(tmp_path / "warehouse.duckdb", "select label from raw.instantly_workspaces") == [("acme",)]


def test_rows_loaded_before_rows_carried_a_workspace_join_the_single_keys_workspace(sim, tmp_path):
    """A warehouse from before workspaces: its rows have no workspace_id. The next run gives them
    the single key's workspace before it merges, so keys that now include the workspace match."""
    env = env_for(sim, tmp_path)
    assert run_cli(env, "--skip-dbt").returncode == 0
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        tables = [name for (name,) in con.execute(
            "select table_name from information_schema.columns where table_schema = 'raw'"
            " and column_name = 'workspace_id' and table_name like 'instantly%'").fetchall()]
        for table in tables:
            con.execute(f"alter table raw.{table} drop column workspace_id")
        before = {table: con.execute(f"select count(*) from raw.{table}").fetchone()[0] for table in tables}
    assert "instantly_accounts" in tables

    done = run_cli(env, "--skip-dbt")

    assert done.returncode == 0, done.stdout + done.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        for table in tables:
            assert con.execute(f"select count(*) from raw.{table} where workspace_id is null").fetchone() == (0,), table
        accounts = con.execute("select count(*) from raw.instantly_accounts").fetchone()[0]
    assert accounts == before["instantly_accounts"]


def test_a_workspace_group_admin_key_loads_every_member_workspace(agency, loads, tmp_path):
    """UNVERIFIED upstream: members from /workspace-group-members, reached with `x-as-workspace`."""
    done = run_cli(agency.env(tmp_path, {}, SOURCES__INSTANTLY__WORKSPACE_GROUP_KEY=ADMIN_KEY), "--skip-dbt")
    assert done.returncode == 0, done.stdout + done.stderr
    db = tmp_path / "warehouse.duckdb"
    ids = sorted(ws.id for ws in agency.workspaces.values())
    assert query(db, "select id, label from raw.instantly_workspaces order by 1") == [(i, i) for i in ids]
    by_key = "select workspace_id, count(*) from raw.instantly_campaign_analytics_steps group by 1 order by 1"
    assert query(db, by_key) == query(loads["both"], by_key)
    assert ADMIN_KEY not in done.stdout + done.stderr


def test_the_workspace_group_members_list_matches_the_spec(agency):
    status, body = get(agency, "/api/v2/workspace-group-members", [("limit", "100")], key=ADMIN_KEY)
    assert status == 200 and len(body["items"]) == len(KEYS)
    validator(registry(), "/api/v2/workspace-group-members").validate(body)


def test_each_workspace_loads_what_it_allows_and_fails_alone(agency, tmp_path):
    """acme has no placement add-on (a notice); globex's account daily keeps failing (an error):
    every other family of both loads, and the ledger says which is which."""
    agency.states["acme"].reset(no_placement_addon=True)
    agency.states["globex"].reset(failing_path="/api/v2/accounts/analytics/daily")
    try:
        done = run_cli(agency.env(tmp_path, KEYS), "--skip-dbt")
    finally:
        agency.states["acme"].reset()
        agency.states["globex"].reset()
    assert done.returncode == 1
    assert [line for line in done.stdout.splitlines() if "not loaded" in line] == [
        next(line for line in done.stdout.splitlines() if line.startswith("notice: acme: inbox placement not loaded"))]
    [error] = done.stderr.strip().splitlines()
    assert error.startswith("error: globex: accounts and account daily failed")
    db = tmp_path / "warehouse.duckdb"
    statuses = query(db, "select workspace_label, family, status from raw.run_ledger where family <> 'dbt' order by 1, 2")
    assert statuses == [
        ("acme", "accounts", "ok"), ("acme", "campaigns", "ok"), ("acme", "placement", "unsupported"),
        ("acme", "tags", "ok"), ("acme", "vitals", "ok"), ("acme", "warmup", "ok"),
        ("globex", "accounts", "failed"), ("globex", "campaigns", "ok"), ("globex", "placement", "ok"),
        ("globex", "tags", "ok"), ("globex", "vitals", "ok"), ("globex", "warmup", "ok"),
    ]
    placement = "select distinct workspace_id from raw.instantly_inbox_placement_tests"
    assert query(db, placement) == [(agency.workspaces["globex"].id,)]


def test_an_agency_run_prints_one_line_per_workspace_and_logs_the_rest(loads):
    lines = loads["both printed"].splitlines()
    assert not [line for line in lines if line.startswith("resource ")]
    for label in KEYS:
        [line] = [line for line in lines if line.startswith(f"workspace {label}: ")]
        assert line.endswith("families: 6 ok")
    log = Path(lines[-1].split("; log: ")[1])
    assert "acme: resource instantly_campaigns: " in log.read_text()


def test_on_a_terminal_an_agency_run_shows_one_bar_per_workspace(agency, tmp_path):
    for state in agency.states.values():
        state.reset(latency_s=(0.002, 0.006))
    try:
        code, screen = run_on_terminal(agency.env(tmp_path, KEYS), "--skip-dbt")
    finally:
        for state in agency.states.values():
            state.reset()
    assert code == 0
    for label in KEYS:
        assert re.search(rf"workspace {label}: [\d,]+ requests" + BAR + r"families\s+[\d,]+ rows", screen), label
    assert "instantly_campaign_analytics_steps " not in screen, "no per-resource bars in agency mode"


def test_the_review_of_an_agency_lists_each_client_beside_the_pooled_headline(agency_run, tmp_path):
    page = write_report(agency_run.warehouse.destination(), tmp_path / "report.html", utc_today()).path.read_text()
    panel = re.search(r'<section class="panel" data-panel="clients".*?</section>', page, re.S)
    assert panel and all(f"<tr class=\"row\"><td>{label}</td>" in panel.group(0) for label in KEYS)
    for summed in ("headline", "esp-weeks", "campaigns"):  # nothing added up without saying so
        section = re.search(rf'<section class="panel" data-panel="{summed}".*?</section>', page, re.S)
        assert section and "Every client added up" in section.group(0), summed


def test_report_workspace_writes_one_clients_page_with_its_rows_alone(agency_run, tmp_path):
    page = tmp_path / "acme.html"
    done = run_command("report", agency_run.env, "--output", str(page), "--workspace", "acme")
    assert done.returncode == 0, done.stderr
    html = page.read_text()
    assert "<h1>Weekly deliverability review for acme</h1>" in html
    assert 'data-panel="clients"' not in html, "one client: nothing to compare it with on its own page"
    freshness = re.search(r'<table id="freshness">.*?</table>', html, re.S).group(0)
    assert set(re.findall(r"<tr data-source=[^>]*><td>([^<]*)</td>", freshness)) == {"acme"}
    alerts = re.search(r'<section class="panel" data-panel="alerts".*?</section>', html, re.S).group(0)
    assert "globex" not in alerts and "acme" in alerts


def test_report_of_a_workspace_the_warehouse_does_not_have_is_one_line_naming_its_workspaces(agency_run, tmp_path):
    done = run_command("report", agency_run.env, "--output", str(tmp_path / "x.html"), "--workspace", "acne")
    assert done.returncode == 1 and not (tmp_path / "x.html").exists()
    assert done.stderr.strip() == ("error: the warehouse has no workspace 'acne' (its workspaces: acme, globex);"
                                   " check --workspace")
