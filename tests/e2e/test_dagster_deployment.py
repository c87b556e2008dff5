"""The README's Dagster deployment (`simulator.deployment`): the code location's server, the
webserver and the daemon as the README starts them, Dagster's storage and the warehouse in a
throwaway PostgreSQL, and the README's command that loads two workspaces now. The sensors add the
partitions and build the dbt models once the loads finished; the warehouse then equals the one
`make run` loads from the same workspaces into another database of that server."""

import json
import time
import urllib.request
from dataclasses import dataclass

import psycopg2
import pytest

from helpers import KEYS, run_cli
from simulator.compare import postgres_tables
from simulator.deployment import Deployment, deployment, readme_commands, wait_until
from simulator.postgres import LOADER, server_binaries, throwaway_server, warehouse_settings

pytestmark = pytest.mark.skipif(server_binaries() is None, reason="PostgreSQL server binaries not found")


@dataclass
class Deployed:
    """The deployment once its runs finished: its runs, its server's port, when it started."""

    running: Deployment
    runs: list
    port: int
    started: float


@pytest.fixture(scope="module")
def deployed(agency, tmp_path_factory):
    """The deployment after the README's backfill of `acme` and `globex` and the build that
    followed. Beside its warehouse, database `cron` holds what `make run` loads from the same
    workspaces."""
    import dagster as dg

    root = tmp_path_factory.mktemp("deployment")
    started = time.time()
    with throwaway_server(databases=("dagster", "cron")) as port:
        cron = run_cli(agency.env(root / "cron", KEYS, **warehouse_settings(port, "cron")))
        assert cron.returncode == 0, cron.stdout + cron.stderr
        env = agency.env(root, KEYS, **warehouse_settings(port))
        with deployment(root, env, f"postgresql+psycopg2://{LOADER}@127.0.0.1:{port}/dagster", max_runs=2) as running:
            instance = running.instance()
            wait_until(lambda: set(instance.get_dynamic_partitions("workspaces")) == set(KEYS), 120)
            backfill = next(command for command in readme_commands() if "job backfill" in command)
            running.run(backfill)

            def built():
                runs = instance.get_runs(dg.RunsFilter(job_name="transform"))
                return runs and all(run.is_finished for run in runs)

            wait_until(built, 600, every_s=3)
            runs = instance.get_runs()
            yield Deployed(running, runs, port, started)


def query(port: int, sql: str) -> list:
    with psycopg2.connect(host="127.0.0.1", port=port, user=LOADER, dbname="deliverability") as con:
        cursor = con.cursor()
        cursor.execute(sql)
        return cursor.fetchall()


def test_the_readme_backfill_runs_each_workspace_then_one_dbt_build(deployed):
    by_job = sorted((run.job_name, run.tags.get("dagster/partition", ""), run.status.value) for run in deployed.runs)
    assert by_job == [("transform", "", "SUCCESS"), ("workspace_load", "acme", "SUCCESS"),
                      ("workspace_load", "globex", "SUCCESS")]


def test_both_workspaces_and_the_models_land_in_the_postgresql_warehouse(agency, deployed):
    port = deployed.port
    assert query(port, "select label from raw.instantly_workspaces order by 1") == [("acme",), ("globex",)]
    ledger = query(port, "select workspace_label, count(*), count(*) filter (where status = 'ok')"
                         " from raw.run_ledger group by 1 order by 1")
    assert ledger == [("*", 1, 1), ("acme", 6, 6), ("globex", 6, 6)]
    per_workspace = dict(query(port, "select workspace_label, count(*) from analytics.campaigns group by 1"))
    assert per_workspace == {label: sum(1 for c in agency.workspaces[label].campaigns if c.last_active or c.listed)
                             for label in KEYS}
    assert query(port, "select count(distinct workspace_id) from analytics.sender_health_daily") == [(2,)]
    # the alerts asset evaluated the alerts as make run does, each keyed by its workspace
    assert query(port, "select distinct workspace_label from raw.alert_state where workspace_label <> '*'"
                       " order by 1") == [("acme",), ("globex",)]


def test_the_deployment_and_make_run_leave_equal_warehouses(deployed):
    port = deployed.port
    tables = {name: postgres_tables(host="127.0.0.1", port=port, user=LOADER, dbname=name)
              for name in ("deliverability", "cron")}
    assert len(tables["cron"]) > 40
    assert tables["deliverability"] == tables["cron"]


def test_the_deployments_build_keeps_its_artifacts_in_one_directory_not_a_new_one_per_build(deployed):
    from pipelines.outputs.transform import DBT_PROJECT

    started = deployed.started
    results = DBT_PROJECT / "target" / "dagster" / "build" / "run_results.json"
    assert results.stat().st_mtime >= started
    assert not [d for d in (DBT_PROJECT / "target").iterdir() if d.stat().st_mtime >= started
                and d.name.startswith("dbt_models-")]


def asked(port: int, query: str) -> dict:
    """The webserver's GraphQL answer to `query`."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", json.dumps({"query": query}).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)["data"]


def test_the_webserver_shows_both_locations_jobs_schedules_and_sensors(deployed):
    running = deployed.running
    locations = asked(running.ui_port, "{ repositoriesOrError { ... on RepositoryConnection { nodes {"
                                       " jobs { name } schedules { name } sensors { name } } } } }")
    locations = locations["repositoriesOrError"]["nodes"]
    named = {kind: {item["name"] for location in locations for item in location[kind]}
             for kind in ("jobs", "schedules", "sensors")}
    assert {"workspace_load", "campaign_cleaner_load", "transform"} <= named["jobs"]
    assert named["schedules"] == {"daily_loads", "daily_campaign_cleaner"}
    assert named["sensors"] == {"workspace_partitions", "transform_after_loads"}


def test_the_webserver_shows_every_source_table_and_model_as_an_asset(deployed):
    running = deployed.running
    nodes = asked(running.ui_port, "{ assetNodes { assetKey { path } } }")["assetNodes"]
    keys = {"/".join(node["assetKey"]["path"]) for node in nodes}
    assert {"instantly/instantly_campaigns", "instantly/instantly_domain_vitals",
            "campaign_cleaner/campaign_cleaner_inbox_tests", "analytics/campaigns", "analytics/source_freshness",
            "alerts"} <= keys
