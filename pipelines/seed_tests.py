"""`python -m pipelines seed-tests add|create|list`: the Campaign Cleaner job registry.

The registry lives in the `campaign_cleaner` source's dlt state, which dlt stores in the
warehouse; `add` and `create` register through a normal run (which polls the new jobs at once),
so the registry is saved exactly like every other run's state.
"""

import argparse
import asyncio
from typing import Dict, List

import dlt

from pipelines import runner
from pipelines.campaign_cleaner import campaign_cleaner, settings
from pipelines.campaign_cleaner.helpers import make_client
from pipelines.common.client import RUN_FAILURES, ConfigError


def track(job_ids: List[str], name: str = "") -> int:
    RUN_FAILURES.clear()
    report = runner.run(runner.make_pipeline(), [campaign_cleaner(register_job_ids=job_ids, register_name=name)])
    print(f"tracking {', '.join(job_ids)}: {report.total_rows} rows loaded")
    for line in RUN_FAILURES:
        print(f"error: {line}")
    return 1 if RUN_FAILURES else 0


def add(args: argparse.Namespace) -> int:
    return track(args.job_ids)


def create(args: argparse.Namespace) -> int:
    api_key = dlt.secrets.get("sources.campaign_cleaner.api_key")
    if not api_key:
        raise ConfigError("Missing setting SOURCES__CAMPAIGN_CLEANER__API_KEY")
    base_url = dlt.config.get("sources.campaign_cleaner.base_url") or settings.DEFAULT_BASE_URL
    client = make_client(api_key, base_url, settings.DEFAULT_MAX_REQUESTS_PER_SECOND, 1)

    async def post() -> dict:
        async with client:
            return await client.post(settings.CREATE_INBOX_TEST, settings.create_body(args.name))

    answer = asyncio.run(post())
    if not isinstance(answer, dict) or answer.get("error") or not answer.get("job_id"):
        raise ConfigError(f"Campaign Cleaner create_inbox_test failed: {answer.get('error') if isinstance(answer, dict) else answer}")
    print(f"created seed test {answer['job_id']}; send your campaign to every address below:")
    for address in answer.get("send_to") or []:
        print(f"  {address}")
    return track([answer["job_id"]], args.name)


def registry() -> Dict[str, dict]:
    """The tracked jobs, as the warehouse's copy of the state has them."""
    pipeline = runner.make_pipeline()
    try:
        pipeline.sync_destination()
    except Exception:  # noqa: BLE001 - nothing loaded yet: an empty registry
        return {}
    return pipeline.state.get("sources", {}).get("campaign_cleaner", {}).get("jobs", {})


def list_jobs(args: argparse.Namespace) -> int:
    jobs = registry()
    configured = dlt.config.get("sources.campaign_cleaner.job_ids") or []
    if isinstance(configured, str):
        configured = [j.strip() for j in configured.split(",") if j.strip()]
    print(f"{'job_id':<24} {'state':<12} {'name':<24} {'registered_at':<26} last_polled_at")
    for job_id, entry in sorted(jobs.items(), key=lambda kv: kv[1].get("registered_at", "")):
        print(
            f"{job_id:<24} {entry.get('final_state') or 'processing':<12} {entry.get('name') or '':<24}"
            f" {entry.get('registered_at') or '':<26} {entry.get('last_polled_at') or 'never'}"
        )
    for job_id in configured:
        if job_id not in jobs:
            print(f"{job_id:<24} {'configured':<12} {'':<24} {'(next run)':<26} never")
    return 0


COMMANDS = {"add": add, "create": create, "list": list_jobs}
