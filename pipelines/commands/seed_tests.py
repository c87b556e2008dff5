"""`python -m pipelines seed-tests add|create|remove|list`: the Campaign Cleaner job registry.

The registry lives in the `campaign_cleaner` source's dlt state, which dlt stores in the
warehouse; `add`, `create` and `remove` change it through a normal run of that source (which
polls the due jobs at once), so the registry is saved exactly like every other run's state, in
the configured destination.
"""

import argparse
import asyncio
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Dict, List

import dlt

from pipelines.campaign_cleaner import plan, settings
from pipelines.campaign_cleaner.helpers import cleaner_client, job_id_list, registered_jobs
from pipelines.common.errors import ConfigError
from pipelines.common.sources import Plan
from pipelines.common.tracking import RequestStats
from pipelines.engine import runner
from pipelines.engine.outcome import LoadOutcome
from pipelines.engine.warehouse import Warehouse

Say = Callable[[str], None]


def track(warehouse: Warehouse, say: Say, **changes: Any) -> LoadOutcome:
    """One run of the Campaign Cleaner source with registry `changes` (see its arguments); the
    caller says how it went."""
    pipeline = runner.make_pipeline(warehouse)
    return runner.load_all(lambda name: pipeline, Plan([plan.spec(**changes)]))


def add(args: argparse.Namespace, warehouse: Warehouse, say: Say) -> LoadOutcome:
    return track(warehouse, say, register_job_ids=args.job_ids)


def remove(args: argparse.Namespace, warehouse: Warehouse, say: Say) -> LoadOutcome:
    configured = set(job_id_list(dlt.config.get("sources.campaign_cleaner.job_ids")))
    for job_id in configured.intersection(args.job_ids):
        say(f"notice: {job_id} is also in SOURCES__CAMPAIGN_CLEANER__JOB_IDS: remove it there too")
    return track(warehouse, say, unregister_job_ids=args.job_ids)


def create(args: argparse.Namespace, warehouse: Warehouse, say: Say) -> LoadOutcome:
    api_key = str(dlt.secrets.get("sources.campaign_cleaner.api_key") or "")
    if not api_key:
        raise ConfigError("Missing setting SOURCES__CAMPAIGN_CLEANER__API_KEY")
    base_url = str(dlt.config.get("sources.campaign_cleaner.base_url") or settings.DEFAULT_BASE_URL)
    client = cleaner_client(api_key, base_url, settings.DEFAULT_MAX_REQUESTS_PER_SECOND, 1, RequestStats())

    async def post() -> dict:
        async with client:
            return await client.post(settings.CREATE_INBOX_TEST, settings.create_body(args.name))

    answer = asyncio.run(post())
    if not isinstance(answer, dict) or answer.get("error") or not answer.get("job_id"):
        problem = answer.get("error") if isinstance(answer, dict) else answer
        raise ConfigError(f"Campaign Cleaner create_inbox_test failed: {problem}")
    say(f"created seed test {answer['job_id']}; send your campaign to every address below:")
    for address in answer.get("send_to") or []:
        say(f"  {address}")
    return track(warehouse, say, register_job_ids=[answer["job_id"]], register_name=args.name)


def registry(warehouse: Warehouse) -> Dict[str, dict]:
    """The tracked jobs, as the warehouse's copy of the state has them, each with its name (the
    one given at `create`, else the test's own `test_name` as loaded). Read through a throwaway
    working directory, so a `list` during a run never touches that run's local state. A DuckDB
    warehouse not created yet stays uncreated: its registry is empty. A warehouse that cannot be
    read is an error, never an empty list."""
    if warehouse.duckdb_file is not None and not warehouse.duckdb_file.exists():
        return {}
    with tempfile.TemporaryDirectory() as scratch:
        pipeline = runner.make_pipeline(replace(warehouse, state_dir=Path(scratch)))
        pipeline.sync_destination()
        jobs = registered_jobs(pipeline)
        names = loaded_names(pipeline) if any(not entry.get("name") for entry in jobs.values()) else {}
    return {job_id: dict(entry, name=entry.get("name") or names.get(job_id)) for job_id, entry in jobs.items()}


def loaded_names(pipeline: dlt.Pipeline) -> Dict[str, str]:
    """job id -> `test_name`, from the loaded tests (jobs registered before the registry kept names)."""
    with pipeline.sql_client() as client:
        table = client.make_qualified_table_name("campaign_cleaner_inbox_tests")
        if not client.execute_sql(
            "select 1 from information_schema.columns where table_name = 'campaign_cleaner_inbox_tests'"
            f" and column_name = 'test_name' and table_schema = '{client.dataset_name}'"
        ):
            return {}
        rows = client.execute_sql(f"select job_id, max(test_name) from {table} group by job_id") or []
    return {str(job_id): str(name) for job_id, name in rows if name}


def list_jobs(warehouse: Warehouse, say: Say) -> None:
    jobs = registry(warehouse)
    configured: List[str] = job_id_list(dlt.config.get("sources.campaign_cleaner.job_ids"))
    say(f"{'job_id':<24} {'state':<12} {'name':<24} {'registered_at':<26} last_polled_at")
    for job_id, entry in sorted(jobs.items(), key=lambda kv: kv[1].get("registered_at", "")):
        say(
            f"{job_id:<24} {entry.get('final_state') or 'processing':<12} {entry.get('name') or '':<24}"
            f" {entry.get('registered_at') or '':<26} {entry.get('last_polled_at') or 'never'}"
        )
    for job_id in configured:
        if job_id not in jobs:
            say(f"{job_id:<24} {'configured':<12} {'':<24} {'(next run)':<26} never")


CHANGES = {"add": add, "create": create, "remove": remove}
"""The actions that change the registry: each is a run of the source, under the run lock."""
