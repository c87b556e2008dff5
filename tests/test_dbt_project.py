"""The dbt project on simulator-loaded warehouses: it builds, its tests bite, the marts are right,
and every query in sql/ runs on the marts."""

import shutil
from pathlib import Path

import duckdb
import pendulum
import pytest

from pipelines import runner
from pipelines.transform import TransformError, dbt_build
from pipelines.warehouse import resolve

from helpers import Warehouse

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"


@pytest.fixture(scope="module")
def built(simulator, tmp_path_factory):
    """Instantly and Campaign Cleaner loaded, then `dbt build`: shared, so read it only (tests
    that change data work on a copy)."""
    simulator.state.reset()
    tmp_path = tmp_path_factory.mktemp("built")
    warehouse = Warehouse(tmp_path, simulator)
    warehouse.load()
    job = warehouse.sim.cleaner.add("Marts test", pendulum.now("UTC"), polls_to_complete=1)
    warehouse.load_seed_tests(job_ids=[job.job_id])
    dbt_build(warehouse.destination(), target_path=str(tmp_path / "target"))
    return warehouse


def test_marts_count_every_received_seed_email_once(built):
    received = built.query(
        "select count(*) from raw.instantly_inbox_placement_analytics"
        " where coalesce(record_type, case when is_spam is not null then 2 end) = 2")
    placed = built.query("select sum(total_count) from analytics.fct_inbox_placement where source = 'instantly'")
    assert placed == received
    seeds = built.query("select count(*) from raw.campaign_cleaner_inbox_test_results where placement in ('Inbox', 'Spam')")
    assert built.query(
        "select sum(total_count) from analytics.fct_inbox_placement where source = 'campaign_cleaner'") == seeds


def test_rates_are_counts_over_the_total(built):
    off = built.query("""
        select count(*) from analytics.placement_rates_by_esp
        where abs(inbox_rate - cast(inbox_count as double) / total_count) > 1e-9
           or abs(inbox_rate + spam_rate + category_rate - 1) > 1e-9""")
    assert off == [(0,)]


def test_deleted_campaigns_are_flagged_and_keep_their_days(built):
    deleted = [c.id for c in built.sim.workspace.campaigns if not c.listed]
    flagged = {r[0] for r in built.query("select campaign_id from analytics.dim_campaigns where is_deleted")}
    assert flagged == set(deleted)
    assert built.query(
        f"select count(*) > 0 from analytics.fct_campaign_daily where campaign_id = '{deleted[0]}'") == [(True,)]


def test_campaign_daily_is_a_dense_calendar(built):
    gaps = built.query("""
        select campaign_id from analytics.fct_campaign_daily group by campaign_id
        having count(*) <> datediff('day', min(activity_date), max(activity_date)) + 1""")
    assert gaps == []


@pytest.mark.parametrize("query", sorted(p.name for p in SQL_DIR.glob("*.sql") if p.name[0] != "_"))
def test_every_analysis_query_runs_on_the_marts(built, query):
    rows = built.query((SQL_DIR / query).read_text())
    assert rows, f"{query} returned nothing on a loaded warehouse"


def test_dbt_builds_before_placement_or_seed_test_tables_exist(warehouse, tmp_path):
    campaign_resources = [name for name in warehouse.source().resources if "campaign" in name]
    runner.run(warehouse.pipeline(), lambda run: warehouse.source(run=run).with_resources(*campaign_resources))
    dbt_build(warehouse.destination(), target_path=str(tmp_path / "target"))
    assert warehouse.query("select count(*) from analytics.fct_inbox_placement") == [(0,)]


@pytest.mark.parametrize("corruption", [
    "update raw.instantly_campaign_analytics_steps set sent = sent + 1 where step = '1' and variant = '0'",
    "update raw.instantly_inbox_placement_stats set spam_count = spam_count + 1 where recipient_esp = 1",
], ids=["steps no longer add up to daily sent", "placement records and stats disagree"])
def test_dbt_build_fails_when_sources_stop_reconciling(built, tmp_path, corruption):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(built.db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(corruption)
    with pytest.raises(TransformError):
        dbt_build(resolve("duckdb", duckdb_file=str(copy)), target_path=str(tmp_path / "target"))
