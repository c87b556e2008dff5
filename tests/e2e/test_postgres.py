"""The whole pipeline and `dbt build` on a real PostgreSQL server: the same truth as on DuckDB.

The fixture makes a throwaway cluster (`simulator.postgres`: initdb, pg_ctl, a free loopback port)
and removes it afterwards. `.ci/run` installs Debian's postgresql package when it is missing, so CI
always runs these; elsewhere they skip only when the server binaries are absent.
"""

import os
from dataclasses import replace
from datetime import timezone
from pathlib import Path

import psycopg2
import pytest

from helpers import (
    EVENING_UTC,
    RECEIVED,
    RUN_LOCK_HOLDER,
    cleaner_settings,
    env_for,
    holding,
    run_cli,
    run_seed_tests,
    truth_cells,
    truth_daily,
    truth_steps,
)
from pipelines.campaign_cleaner import campaign_cleaner
from pipelines.common.dates import utc_today
from pipelines.engine import runner
from pipelines.engine.warehouse import resolve
from pipelines.outputs.alerts import run_alerts
from pipelines.outputs.report import write_report
from pipelines.outputs.transform import dbt_build
from simulator.postgres import SERVER_TZ, SQL_DIR, psql, server_binaries, throwaway_server, warehouse_settings


@pytest.fixture(scope="module")
def postgres():
    """The throwaway server's port, the pipeline's settings pointing at it."""
    if server_binaries() is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    with throwaway_server() as port, pytest.MonkeyPatch.context() as patched:
        for name, value in warehouse_settings(port).items():
            if name != "DESTINATION_TYPE":
                patched.setenv(name, value)
        yield port


@pytest.fixture(scope="module")
def loaded(postgres, simulator, tmp_path_factory):
    """Both sources loaded into PostgreSQL, then `dbt build` there."""
    simulator.state.reset()
    ws = simulator.workspace
    pipeline = runner.make_pipeline(replace(resolve("postgres"), state_dir=tmp_path_factory.mktemp("pipelines")))
    from pipelines.instantly import instantly
    from pipelines.instantly.settings import DEFAULT_WORKSPACE_LABEL
    from pipelines.instantly.workspaces import WorkspaceKey, WorkspaceRun

    key = WorkspaceKey(DEFAULT_WORKSPACE_LABEL, simulator.api_key)
    runner.run(pipeline, lambda stats: instantly(
        api_key=simulator.api_key, base_url=simulator.url, start_date=ws.first_day.isoformat(),
        end_date=ws.today.isoformat(), max_requests_per_second=100, run=WorkspaceRun(key, stats)))
    job = simulator.cleaner.add("On PostgreSQL", EVENING_UTC, polls_to_complete=1)
    runner.run(pipeline, lambda run: campaign_cleaner(
        api_key=simulator.cleaner.api_key, base_url=simulator.url, job_ids=[job.job_id],
        max_requests_per_second=50, run=run))
    dbt_build(resolve("postgres"), target_path=str(tmp_path_factory.mktemp("target")))
    return simulator


def query(port: int, sql: str):
    with psycopg2.connect(host="127.0.0.1", port=port, user="loader", dbname="deliverability") as con:
        cur = con.cursor()
        cur.execute(sql)
        return cur.fetchall()


def test_campaign_analytics_match_the_simulators_truth(loaded, postgres):
    daily = query(postgres, "select campaign_id, cast(date as varchar), sent from raw.instantly_campaign_analytics_daily")
    assert {(c, d): s for c, d, s in daily} == truth_daily(loaded.workspace)
    steps = query(postgres, "select campaign_id, cast(date as varchar), step, variant, sent"
                            " from raw.instantly_campaign_analytics_steps")
    assert {(c, d, st, v): s for c, d, st, v, s in steps} == truth_steps(loaded.workspace)


def test_placement_stats_match_the_simulators_truth(loaded, postgres):
    rows = query(postgres, "select test_id, cast(date as varchar), recipient_geo, recipient_type, recipient_esp,"
                           " count, spam_count, category_count from raw.instantly_inbox_placement_stats")
    assert {tuple(r[:5]): tuple(int(x) for x in r[5:]) for r in rows} == truth_cells(loaded.placement)


def test_the_marts_are_built_and_reconcile(loaded, postgres):
    received = query(postgres, "select count(*) from raw.instantly_inbox_placement_analytics"
                               f" where {RECEIVED}")
    placed = query(postgres, "select sum(total_count) from analytics.inbox_placement where source = 'instantly'")
    assert placed == received
    assert query(postgres, "select count(*) from analytics.seed_test_results")[0][0] > 0


@pytest.mark.parametrize("sql_file", sorted(p.name for p in SQL_DIR.glob("*.sql") if p.name[0] != "_"))
def test_every_analysis_query_runs_on_postgres(loaded, postgres, sql_file):
    assert query(postgres, (SQL_DIR / sql_file).read_text())


def test_dates_are_utc_days_on_a_server_outside_utc(loaded, postgres):
    assert query(postgres, "show timezone") == [(SERVER_TZ,)]
    submitted = query(postgres, "select distinct submitted_date from analytics.seed_test_results"
                                " where test_name = 'On PostgreSQL'")
    assert submitted == [(EVENING_UTC.date(),)]
    created = query(postgres, "select raw.timestamp_created, stg.created_at from raw.instantly_campaigns as raw"
                              " join staging.stg_instantly__campaigns as stg on stg.campaign_id = raw.id")
    assert created and all(utc.astimezone(timezone.utc).replace(tzinfo=None) == wall for utc, wall in created)
    placed = query(postgres, "select r.timestamp_created_date, s.created_date from raw.instantly_inbox_placement_analytics"
                             " as r join staging.stg_instantly__inbox_placement_records as s on s.record_id = r.id")
    assert placed and all(str(day) == str(stg) for day, stg in placed)


def test_the_report_is_built_from_the_marts_on_postgres(loaded, postgres, tmp_path):
    html = write_report(resolve("postgres"), tmp_path / "report.html", utc_today()).path.read_text()
    assert html.count('<section class="panel"') == 9  # the open alerts and the eight panels of the marts
    assert html.count('class="plotly-graph-div"') == 2  # the ESP heatmap and campaign outcomes; the rest are tables


def test_the_alert_rules_run_and_keep_their_state_on_postgres(loaded, postgres):
    first = run_alerts(resolve("postgres"))
    assert first.opened and {e.rule for e in first.opened} >= {"domain_dns", "mailbox_inbox_rate", "test_worst_cell"}
    assert query(postgres, "select count(*) from raw.alert_state where status = 'open'") == [(len(first.opened),)]
    again = run_alerts(resolve("postgres"))
    assert (again.opened, again.resolved, again.open_count) == ([], [], len(first.opened))


def as_role(port: int, user: str, password: str = ""):
    return psycopg2.connect(host="127.0.0.1", port=port, user=user, password=password, dbname="deliverability")


def test_the_read_only_role_reads_every_mart_after_another_run_and_cannot_write(loaded, postgres, tmp_path):
    assert query(postgres, "select rolsuper from pg_roles where rolname = 'loader'") == [(False,)]
    readonly_role = str(SQL_DIR / "_setup_postgres_readonly_role.sql")
    psql(server_binaries(), postgres, "loader", "deliverability", "-f", readonly_role)  # as the loader
    dbt_build(resolve("postgres"), target_path=str(tmp_path / "target"))  # recreates every mart

    marts = [name for (name,) in query(postgres, "select table_name from information_schema.tables"
                                                 " where table_schema = 'analytics'")]
    reader = as_role(postgres, "bi_reader", "change-me")
    try:
        cur = reader.cursor()
        for mart in marts:
            cur.execute(f"select count(*) from analytics.{mart}")
        cur.execute("select count(*) from analytics.inbox_placement")
        assert cur.fetchone()[0] > 0
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("delete from analytics.inbox_placement")
    finally:
        reader.close()
    assert len(marts) >= 10


def postgres_env(simulator, root: Path, **extra: str) -> dict:
    """The CLI's environment for this server (env_for leaves out the destination settings)."""
    settings = {k: v for k, v in os.environ.items() if k.startswith("DESTINATION__POSTGRES__")}
    return env_for(simulator, root, DESTINATION_TYPE="postgres", **{**settings, **extra})


def test_seed_tests_use_the_configured_destination(loaded, postgres, tmp_path):
    job = loaded.cleaner.add("Tracked on PostgreSQL", EVENING_UTC, polls_to_complete=3)
    env = postgres_env(loaded, tmp_path, **cleaner_settings(loaded))
    added = run_seed_tests(env, "add", job.job_id)
    assert added.returncode == 0, added.stderr
    assert any(line.startswith(job.job_id) for line in run_seed_tests(env, "list").stdout.splitlines())
    assert query(postgres, f"select count(*) from raw.campaign_cleaner_inbox_tests where job_id = '{job.job_id}'") == [(1,)]
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_a_missing_database_is_one_line_naming_it(postgres, simulator, tmp_path):
    env = postgres_env(simulator, tmp_path, DESTINATION__POSTGRES__CREDENTIALS__DATABASE="no_such_db")
    result = run_cli(env)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: PostgreSQL: database no_such_db does not exist: create it or check"
        " DESTINATION__POSTGRES__CREDENTIALS__DATABASE")


def test_a_writer_on_another_host_is_refused_by_the_warehouse_lock_and_leaves_a_trace(loaded, postgres, tmp_path):
    other_host = postgres_env(loaded, tmp_path / "host-a")  # its own working directory: another machine
    with holding(RUN_LOCK_HOLDER, other_host, "locked") as holder:
        refused = run_cli(postgres_env(loaded, tmp_path / "host-b"))
    assert refused.returncode == 1
    [line] = refused.stderr.splitlines()
    assert line.startswith(f"error: another writer holds the warehouse (run pid {holder.pid} on ") and len(line) < 300
    [(cause,)] = query(postgres, "select cause from raw.run_ledger where status = 'refused'")
    assert cause == line.removeprefix("error: ")
    dbt_build(resolve("postgres"), target_path=str(tmp_path / "target"))
    assert query(postgres, "select workspace_label, last_status from analytics.source_freshness where family = 'run'") == [
        ("*", "refused")]
