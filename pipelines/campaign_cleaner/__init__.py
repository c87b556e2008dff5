"""dlt source `campaign_cleaner`: seed-test (inbox test) results from Campaign Cleaner.

The API has no endpoint that lists tests, so the jobs to track are the configured `job_ids`
plus those registered with `python -m pipelines seed-tests add|create`, kept in this source's
dlt state (which dlt also stores in the warehouse: the registry survives a fresh machine).
"""

from typing import AsyncIterator, List, Optional, Sequence, Tuple, Union

import dlt
from dlt.sources import DltResource

from pipelines.campaign_cleaner import settings
from pipelines.campaign_cleaner.helpers import (
    JobPoller,
    cleaner_client,
    job_id_list,
    register,
    registry,
    result_rows,
    unregister,
)
from pipelines.common.concurrency import Shared
from pipelines.common.errors import ConfigError
from pipelines.common.tracking import RunStats, tracked_resource

Polled = List[Tuple[dict, dict]]
"""(test row, poll answer) of each job polled in a run."""


@dlt.source(name=settings.SOURCE)
def campaign_cleaner(
    api_key: str = dlt.secrets.value,
    base_url: str = settings.DEFAULT_BASE_URL,
    job_ids: Optional[Union[str, List[str]]] = None,
    max_age_hours: float = settings.DEFAULT_MAX_AGE_HOURS,
    max_requests_per_second: float = settings.DEFAULT_MAX_REQUESTS_PER_SECOND,
    max_concurrency: int = settings.DEFAULT_MAX_CONCURRENCY,
    register_job_ids: Sequence[str] = (),
    register_name: str = "",
    unregister_job_ids: Sequence[str] = (),
    run: Optional[RunStats] = None,
) -> Sequence[DltResource]:
    """Seed tests and their per-seed results, re-polled until completed or expired.

    Args:
        api_key: Campaign Cleaner API key (secret).
        base_url: API root, for a proxy or the local simulator.
        job_ids: Jobs to track, besides those registered through the CLI: a list, or
            `job_1,job_2` in one environment variable.
        max_age_hours: A job still processing this long after submission is finalised as
            `expired`, its pending seeds kept as pending.
        max_requests_per_second: Request budget (Campaign Cleaner documents none).
        max_concurrency: Polls in flight at once.
        register_job_ids: Jobs to add to the registry in this run (the CLI's `seed-tests add`).
        register_name: A name to remember for them (the CLI's `seed-tests create`).
        unregister_job_ids: Jobs to stop tracking (the CLI's `seed-tests remove`).
        run: Where this run's requests, seconds and skipped jobs are counted (the runner's).
    """
    if not str(api_key).strip():
        raise ConfigError(f"SOURCES__CAMPAIGN_CLEANER__API_KEY is empty. {settings.KEY_HINT}")
    if float(max_age_hours) <= 0:
        raise ConfigError("SOURCES__CAMPAIGN_CLEANER__MAX_AGE_HOURS must be more than 0")
    run = run if run is not None else RunStats()
    client = cleaner_client(
        api_key, base_url, max_requests_per_second, max_concurrency, run.service("Campaign Cleaner")
    )
    removed = set(unregister_job_ids)
    configured = job_id_list(job_ids)
    poller = JobPoller(
        client, float(max_age_hours), 4 * int(max_concurrency), run.skipped, run.notices, configured, register_job_ids,
    )
    new_jobs = [j for j in configured + list(register_job_ids) if j not in removed]

    async def poll_registry() -> Polled:
        """Applies this run's registry changes, then polls the due jobs (once, for both resources)."""
        jobs = registry(dlt.current.source_state())
        unregister(jobs, list(removed))
        register(jobs, new_jobs, register_name or None)
        return await poller.poll_due(jobs)

    polled = Shared(poll_registry)
    return (
        tracked_resource(
            inbox_tests, "campaign_cleaner_inbox_tests", run, primary_key="job_id", write_disposition="merge",
        )(polled=polled),
        tracked_resource(
            inbox_test_results, "campaign_cleaner_inbox_test_results", run,
            primary_key=("job_id", "seed_address"), write_disposition="merge",
        )(polled=polled),
    )


async def inbox_tests(polled: "Shared[Polled]") -> AsyncIterator[List[dict]]:
    """One row per job polled this run: status, summary counts and rates, poll times, final state."""
    answers = await polled.get()
    if answers:
        yield [row for row, _ in answers]


async def inbox_test_results(polled: "Shared[Polled]") -> AsyncIterator[List[dict]]:
    """One row per job and seed: provider, email_found, placement, SPF, sender IP, and the rest."""
    answers = await polled.get()
    rows = [seed for row, answer in answers for seed in result_rows(row["job_id"], answer)]
    if rows:
        yield rows
