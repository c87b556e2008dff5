"""Partial, never nothing: what a workspace allows loads; what it does not, or what fails, is
named once, recorded in the run ledger, and leaves its tables and cursors as they were.

Each fault is one run through the CLI (as cron runs it) on a fresh warehouse; the run after it,
without the fault, must leave the raw tables equal, row by row, to those of one that never had it.
"""

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

import duckdb
import pytest

from helpers import env_for, run_cli, run_report, serving
from pipelines.flow import FAMILIES
from pipelines.instantly.plan import ACCOUNTS, CAMPAIGNS, PLACEMENT, TAGS, VITALS, WARMUP
from pipelines.instantly.plan import FAMILIES as INSTANTLY_FAMILIES
from simulator.accounts import AccountsWorkspace
from simulator.compare import warehouse_tables
from simulator.placement import PlacementWorkspace
from simulator.workspace import Workspace

ACCOUNT_DAILY = "/api/v2/accounts/analytics/daily"
VITALS_CHECK = "/api/v2/accounts/test/vitals"


def ledger(db: Path, run: int = 0) -> Dict[str, tuple]:
    """The ledger rows of the warehouse's `run`th run (0: the first, -1: the latest): family ->
    (status, cause, retries)."""
    with duckdb.connect(str(db), read_only=True) as con:
        runs = [r[0] for r in con.execute("select distinct run_id from raw.run_ledger order by 1").fetchall()]
        rows = con.execute(
            "select family, status, cause, retry_count from raw.run_ledger where run_id = ? and family <> 'dbt'",
            [runs[run]],
        ).fetchall()
    return {family: (status, cause, retries) for family, status, cause, retries in rows}


def tables(db: Path) -> List[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' order by 1").fetchall()]


def notices(out: str) -> List[str]:
    return [line for line in out.splitlines() if line.startswith("notice:") and "Campaign Cleaner" not in line]


@pytest.fixture(scope="module")
def clean(simulator, tmp_path_factory) -> Path:
    """A warehouse of one run that never had a fault (no dbt: the raw tables are compared)."""
    simulator.state.reset()
    root = tmp_path_factory.mktemp("clean")
    done = run_cli(env_for(simulator, root), "--skip-dbt")
    assert done.returncode == 0, done.stderr
    return root / "warehouse.duckdb"


def raw_tables(db: Path) -> Dict[str, list]:
    """Every raw table's rows (`warehouse_tables`): what a fault must leave as a clean run does."""
    return {name: rows for name, rows in warehouse_tables(db).items() if name.startswith("raw.")}


@dataclass
class Refused:
    """A run as cron starts it (dbt included) on a workspace without the Inbox Placement add-on;
    the warehouse it left (a copy); the run after it with the add-on, and the warehouse then."""

    faulty: subprocess.CompletedProcess
    left: Path
    recovered: subprocess.CompletedProcess
    db: Path


@pytest.fixture(scope="module")
def without_placement(simulator, tmp_path_factory) -> Refused:
    root, left = tmp_path_factory.mktemp("no-add-on"), tmp_path_factory.mktemp("no-add-on-left")
    env = env_for(simulator, root)
    simulator.state.reset(no_placement_addon=True)
    faulty = run_cli(env)
    shutil.copy(root / "warehouse.duckdb", left / "warehouse.duckdb")
    simulator.state.reset()
    recovered = run_cli(env, "--skip-dbt")
    return Refused(faulty, left, recovered, root / "warehouse.duckdb")


def fault_then_recovery(sim, root: Path, **faults) -> tuple:
    """A run with `faults`, then one without: both results."""
    env = env_for(sim, root)
    sim.state.reset(**faults)
    faulty = run_cli(env, "--skip-dbt")
    sim.state.reset()
    recovered = run_cli(env, "--skip-dbt")
    return faulty, recovered


def test_a_workspace_without_the_placement_add_on_loads_everything_else_and_exits_0(without_placement, clean):
    faulty, recovered = without_placement.faulty, without_placement.recovered
    assert faulty.returncode == 0, faulty.stderr
    [notice] = notices(faulty.stdout)
    assert "inbox placement" in notice and "workspace default" in notice and "Inbox Placement add-on" in notice
    assert faulty.stderr == ""
    status = ledger(without_placement.db)
    assert recovered.returncode == 0, recovered.stderr
    assert raw_tables(without_placement.db) == raw_tables(clean)
    assert status[PLACEMENT.name][0] == "unsupported" and "Inbox Placement add-on" in status[PLACEMENT.name][1]
    assert status[PLACEMENT.name][2] == 0  # a refusal is not retried
    assert {f: s for f, (s, _, _) in status.items() if f != PLACEMENT.name} == dict.fromkeys(
        (CAMPAIGNS.name, ACCOUNTS.name, WARMUP.name, VITALS.name, TAGS.name), "ok")


def test_an_unsupported_family_leaves_no_table_and_no_cursor(without_placement):
    db = without_placement.left / "warehouse.duckdb"
    raw = tables(db)
    assert "instantly_campaign_analytics_daily" in raw and "instantly_domain_vitals" in raw
    assert not [t for t in raw if t.startswith("instantly_inbox_placement") or t == "instantly_esp_options"]
    with duckdb.connect(str(db), read_only=True) as con:
        pipelines = {r[0] for r in con.execute("select pipeline_name from raw._dlt_pipeline_state").fetchall()}
    assert "deliverability-placement" not in pipelines and "deliverability-campaigns" in pipelines


def test_a_key_without_a_scope_skips_the_families_that_need_it(sim, tmp_path, clean):
    faulty, recovered = fault_then_recovery(sim, tmp_path, missing_scope="accounts:read")
    assert faulty.returncode == 0, faulty.stderr
    [line] = notices(faulty.stdout)  # one cause, one notice naming it once
    assert line.count("accounts:read") == 1 and len(line) < 250, line
    assert all(family.title in line for family in (ACCOUNTS, WARMUP, VITALS))
    status = ledger(tmp_path / "warehouse.duckdb")
    assert recovered.returncode == 0, recovered.stderr
    assert {f: s for f, (s, _, _) in status.items()} == {
        CAMPAIGNS.name: "ok", PLACEMENT.name: "ok", TAGS.name: "ok",
        ACCOUNTS.name: "unsupported", WARMUP.name: "unsupported", VITALS.name: "unsupported",
    }
    assert raw_tables(tmp_path / "warehouse.duckdb") == raw_tables(clean)


def test_a_key_without_the_custom_tags_scope_loads_everything_but_tags(sim, tmp_path):
    sim.state.reset(missing_scope="custom_tags:read")
    faulty = run_cli(env_for(sim, tmp_path), "--skip-dbt")
    assert faulty.returncode == 0, faulty.stderr
    [notice] = notices(faulty.stdout)
    assert "custom tags" in notice and "custom_tags:read" in notice
    status = ledger(tmp_path / "warehouse.duckdb")
    assert {f: s for f, (s, _, _) in status.items() if s != "ok"} == {TAGS.name: "unsupported"}
    assert not [t for t in tables(tmp_path / "warehouse.duckdb") if t.startswith("instantly_custom_tag")]


def test_an_endpoint_that_keeps_failing_fails_its_family_alone(sim, tmp_path, clean):
    faulty, recovered = fault_then_recovery(sim, tmp_path, failing_path=ACCOUNT_DAILY)
    assert faulty.returncode == 1
    [error] = faulty.stderr.strip().splitlines()
    assert error.startswith("error: accounts and account daily failed:") and "HTTP 500" in error
    status = ledger(tmp_path / "warehouse.duckdb")
    assert status[ACCOUNTS.name][0] == "failed" and "HTTP 500" in status[ACCOUNTS.name][1]
    assert {f for f, (s, _, _) in status.items() if s != "ok"} == {ACCOUNTS.name}
    assert "1 failed" in faulty.stdout.splitlines()[-1]
    assert recovered.returncode == 0, recovered.stderr
    assert raw_tables(tmp_path / "warehouse.duckdb") == raw_tables(clean)


def test_a_family_that_fails_while_loading_keeps_its_cursor(sim, tmp_path, clean):
    """The warehouse refuses the account daily table (a view stands in its name): the family's
    extract had moved its cursor locally, but nothing of it is kept, so the next run asks the
    whole window again."""
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema raw; create view raw.instantly_account_analytics_daily as select 1 as x")
    env = env_for(sim, tmp_path)
    failed = run_cli(env, "--skip-dbt")
    assert failed.returncode == 1 and "accounts and account daily failed" in failed.stderr
    assert ledger(db)[ACCOUNTS.name][0] == "failed"
    with duckdb.connect(str(db)) as con:
        con.execute("drop view raw.instantly_account_analytics_daily")
    sim.state.reset()
    assert run_cli(env, "--skip-dbt").returncode == 0
    [asked] = sim.state.requests(ACCOUNT_DAILY)
    assert asked.param("start_date").startswith(sim.workspace.first_day.isoformat())
    assert raw_tables(db) == raw_tables(clean)


def test_a_refused_required_family_fails_the_run_while_the_others_load(sim, tmp_path):
    sim.state.reset(missing_scope="campaigns:read")
    done = run_cli(env_for(sim, tmp_path), "--skip-dbt")
    assert done.returncode == 1
    [error] = done.stderr.strip().splitlines()  # nothing else: no request outlives the failed family
    assert "campaigns and campaign analytics failed" in error and "campaigns:read" in error
    status = ledger(tmp_path / "warehouse.duckdb")
    assert status[CAMPAIGNS.name][0] == "failed"
    assert status[ACCOUNTS.name][0] == "ok"


def test_an_unpaid_workspace_fails_with_one_line_and_every_family_in_the_ledger(sim, tmp_path):
    sim.state.reset(unpaid=True)
    done = run_cli(env_for(sim, tmp_path), "--skip-dbt")
    assert done.returncode == 1
    [error] = done.stderr.strip().splitlines()
    assert error.startswith("error: workspace default not loaded:") and "HTTP 402" in error
    assert done.stdout.splitlines()[-1].count("workspace default not read") == 1
    assert "families failed" not in done.stdout
    status = ledger(tmp_path / "warehouse.duckdb")
    assert {f: s for f, (s, _, _) in status.items()} == {f.name: "failed" for f in INSTANTLY_FAMILIES}


def test_a_key_without_workspaces_read_stamps_the_same_workspace_id(sim, tmp_path, clean):
    faulty, recovered = fault_then_recovery(sim, tmp_path, missing_scope="workspaces:read")
    assert faulty.returncode == 0, faulty.stderr
    [notice] = notices(faulty.stdout)
    assert "lacks workspaces:read" in notice and "organization" in notice
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        stamped = con.execute("select distinct workspace_id from raw.instantly_campaigns").fetchall()
    assert stamped == [(sim.workspace.id,)]
    assert recovered.returncode == 0
    assert raw_tables(tmp_path / "warehouse.duckdb") == raw_tables(clean)


def test_every_family_is_named_once_in_code():
    assert len({f.name for f in FAMILIES}) == len(FAMILIES)
    resources = [r for f in FAMILIES for r in f.resources]
    assert len(resources) == len(set(resources))
    assert [f.name for f in FAMILIES if f.required] == [CAMPAIGNS.name]


@pytest.fixture(scope="module")
def late_opens():
    """A workspace whose days count opens of earlier sends (opens above sends)."""
    accounts = AccountsWorkspace(accounts=3, days=10)
    placement = PlacementWorkspace(tests=1, days=10, senders=accounts.emails[:2], sender_esps=accounts.sender_esps())
    with serving(Workspace(campaigns=4, days=10, late_opens=True), placement, accounts) as sim:
        yield sim


def test_days_whose_opens_exceed_sends_build_every_mart_with_one_warning(late_opens, tmp_path):
    done = run_cli(env_for(late_opens, tmp_path))
    assert done.returncode == 0, done.stderr
    [dbt_line] = [line for line in done.stdout.splitlines() if line.startswith("dbt build")]
    assert "(1 warning: names in the log)" in dbt_line
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from analytics.campaign_step_daily where open_rate > 1").fetchone()[0] > 0
        assert con.execute("select count(*) from analytics.campaign_step_variant_comparison").fetchone()[0] > 0
        assert con.execute("select count(*) from analytics.fct_campaign_step_daily").fetchone()[0] > 0
        assert con.execute("select status, warning_count, warnings from raw.run_ledger where family = 'dbt'").fetchall() == [
            ("ok", 1, "fraction_columns_campaign_step_variant_comparison")]
    log = (tmp_path / "logs").glob("run-*.log")
    assert any("fraction_columns_campaign_step_variant_comparison" in path.read_text() for path in log)


@pytest.fixture(scope="module")
def vitals_failed(cron_run, simulator, tmp_path_factory):
    """A copy of the cron run's warehouse (a fresh machine: its state is in it), then a run whose
    domain checks keep failing: (the warehouse's directory, its tables before, what the run printed)."""
    root = tmp_path_factory.mktemp("vitals-failed")
    shutil.copy(cron_run.warehouse.db, root / "warehouse.duckdb")
    before = warehouse_tables(root / "warehouse.duckdb")
    simulator.state.reset(failing_path=VITALS_CHECK)
    try:
        failed = run_cli(env_for(simulator, root))
    finally:
        simulator.state.reset()
    return root, before, failed


def test_dbt_builds_after_a_failed_family_and_its_marts_keep_their_last_rows(vitals_failed):
    root, before, failed = vitals_failed
    assert failed.returncode == 1
    assert [line for line in failed.stdout.splitlines() if line.startswith("dbt build:")]
    after = warehouse_tables(root / "warehouse.duckdb")
    assert after["analytics.sender_domain_health"] == before["analytics.sender_domain_health"]
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        stale = con.execute(
            "select freshness_status, is_stale, last_cause, last_ok_at is not null from analytics.source_freshness"
            " where family = 'vitals'").fetchone()
    assert stale[:2] == ("stale", True) and "HTTP 500" in stale[2] and stale[3]


def test_the_report_says_a_panel_whose_family_failed_shows_its_last_load_and_why(vitals_failed, simulator, tmp_path):
    root, _, _ = vitals_failed
    done = run_report(env_for(simulator, root), tmp_path / "report.html")
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "report.html").read_text()
    assert re.search(r'<p id="families">Latest load of each family: [^<]*vitals stale;', page)
    assert re.search(r'<p id="families">Latest load of each family: [^<]*campaigns fresh', page)
    domains = re.search(r'<section class="panel" data-panel="domains".*?</section>', page, re.S)
    assert domains and re.search(r"Not refreshed: the last load failed \(.*HTTP 500.*\); shown as loaded on \d{4}-\d\d-\d\d\.",
                                 domains.group(0))


def test_the_report_says_placement_needs_the_add_on(without_placement, sim, tmp_path):
    done = run_report(env_for(sim, without_placement.left), tmp_path / "report.html")
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "report.html").read_text()
    assert page.count("Not available: needs the Inbox Placement add-on.") == 6  # every placement panel
    assert 'data-family="placement" data-status="unsupported"' in page
