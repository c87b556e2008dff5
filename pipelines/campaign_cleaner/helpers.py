"""Polling Campaign Cleaner seed tests: the job registry (in dlt state), polls, row shaping."""

from typing import Collection, Dict, List, MutableMapping, Optional, Sequence, Tuple

import dlt
import pendulum

from pipelines.campaign_cleaner import settings
from pipelines.common.client import ApiClient, make_client
from pipelines.common.concurrency import as_completed_bounded
from pipelines.common.errors import ApiError
from pipelines.common.lists import text_list
from pipelines.common.tracking import RequestStats

COMPLETED, PROCESSING, EXPIRED, NOT_FOUND = "completed", "processing", "expired", "not_found"


def cleaner_client(api_key: str, base_url: str, max_requests_per_second: float, max_concurrency: int,
                   stats: RequestStats) -> ApiClient:
    """The Campaign Cleaner client: its key header on its own budget."""
    return make_client(
        section="campaign_cleaner",
        service="Campaign Cleaner",
        base_url=base_url,
        auth={"X-CC-API-Key": api_key},
        secret=api_key,
        key_hint=settings.KEY_HINT,
        max_requests_per_second=max_requests_per_second,
        max_concurrency=max_concurrency,
        stats=stats,
    )


class JobError(Exception):
    """One job could not be read; the other jobs go on."""


class JobNotFound(JobError):
    """The API says the job does not exist (a typo'd id): it is never polled again."""

    def __init__(self, job_id: str, reason: str) -> None:
        super().__init__(f"Campaign Cleaner job {job_id} does not exist ({reason}): marked not_found and no longer polled")
        self.job_id = job_id
        self.reason = reason


def job_id_list(value: object) -> List[str]:
    """Job ids from a setting: a TOML list, a JSON list, or `job_1,job_2` in one variable."""
    return text_list(value, "SOURCES__CAMPAIGN_CLEANER__JOB_IDS")


def now_iso() -> str:
    return pendulum.now("UTC").to_iso8601_string()


def unregister(jobs: MutableMapping[str, dict], job_ids: Sequence[str]) -> None:
    """Stops tracking jobs (their loaded rows stay in the warehouse)."""
    for job_id in job_ids:
        jobs.pop(str(job_id), None)


REGISTRY = "jobs"
"""The key of the job registry in the source's dlt state."""


def registry(state: MutableMapping[str, dict]) -> MutableMapping[str, dict]:
    """The job registry in the source's state (made empty on first use)."""
    return state.setdefault(REGISTRY, {})


def registered_jobs(pipeline: dlt.Pipeline) -> Dict[str, dict]:
    """The registry as `pipeline`'s state holds it, outside a run: dlt's `source_state` of this
    source, with the pipeline active."""
    pipeline.activate()
    try:
        return dict(registry(dlt.current.source_state(settings.SOURCE)))
    finally:
        pipeline.deactivate()


def register(jobs: MutableMapping[str, dict], job_ids: Sequence[str], name: Optional[str] = None) -> None:
    """Adds jobs to the registry (kept in dlt state, so in the warehouse too) once."""
    for job_id in job_ids:
        entry = jobs.setdefault(
            str(job_id),
            {"registered_at": now_iso(), "first_polled_at": None, "last_polled_at": None, "final_state": None},
        )
        if name and not entry.get("name"):
            entry["name"] = name


def is_due(entry: dict) -> bool:
    """Still processing: poll again. A completed or expired job is never polled again."""
    return entry.get("final_state") is None


def started_at(entry: dict, result: dict) -> pendulum.DateTime:
    """The job's age counts from its submission date if readable, else from its registration."""
    for value in (result.get("submitted_date"), entry["registered_at"]):
        try:
            parsed = pendulum.parse(str(value))
        except ValueError:
            continue
        if isinstance(parsed, pendulum.DateTime):
            return parsed.in_timezone("UTC") if parsed.tzinfo else parsed.replace(tzinfo=pendulum.UTC)
    return pendulum.now("UTC")


def final_state(entry: dict, result: dict, max_age_hours: float) -> Optional[str]:
    """`completed`, `expired` (processing past the age limit), or None (poll again)."""
    if result.get("status") == settings.COMPLETED:
        return COMPLETED
    if pendulum.now("UTC") - started_at(entry, result) > pendulum.duration(hours=max_age_hours):
        return EXPIRED
    return None


async def poll(client: ApiClient, job_id: str) -> dict:
    """The job's current results; an error body (even with HTTP 200) becomes a JobError."""
    try:
        body = await client.post(settings.GET_INBOX_TEST_RESULTS, {"job_id": job_id})
    except ApiError as exc:
        if exc.status in (401, 403):
            raise  # the key is wrong: nothing of this source can load
        if exc.status == 404:
            raise not_found(job_id, str(exc)) from None
        raise JobError(f"Campaign Cleaner job {job_id}: {exc}") from None
    if not isinstance(body, dict) or body.get("error"):
        message = str(body.get("error")) if isinstance(body, dict) else "not a JSON object"
        if settings.NOT_FOUND_ERROR.search(message):
            raise not_found(job_id, message)
        raise JobError(f"Campaign Cleaner job {job_id}: {message}")
    return body


def not_found(job_id: str, message: str) -> JobNotFound:
    return JobNotFound(job_id, message)


class JobPoller:
    """Polls every due job of the registry once. A job that cannot be read is one line in
    `skipped` (an error the runner reports once the other jobs loaded); a job that does not exist
    (a typo) one line in `notices`, once: it is marked `not_found` and never polled again. A job
    `named` in this very run (`seed-tests add JOB`) that does not exist is an error instead, and
    is not tracked: the command that named it fails."""

    def __init__(
        self, client: ApiClient, max_age_hours: float, in_flight: int, skipped: List[str], notices: List[str],
        configured: Collection[str] = (), named: Collection[str] = (),
    ) -> None:
        self.client = client
        self.max_age_hours = max_age_hours
        self.in_flight = in_flight
        self.skipped = skipped
        self.notices = notices
        self.configured = set(configured)
        """The ids of `JOB_IDS`: a missing one is fixed there, not with `seed-tests remove`."""
        self.named = set(named)

    async def poll_due(self, jobs: MutableMapping[str, dict]) -> List[Tuple[dict, dict]]:
        """[(test row, poll answer)] for the jobs polled this run."""
        due = [job_id for job_id, entry in jobs.items() if is_due(entry)]
        rejected: List[str] = []

        async def one(job_id: str) -> Tuple[str, Optional[dict]]:
            try:
                return job_id, await poll(self.client, job_id)
            except JobNotFound as exc:
                if job_id in self.named:  # the command that named it fails
                    self.skipped.append(f"Campaign Cleaner job {job_id} does not exist ({exc.reason}): not tracked")
                    rejected.append(job_id)
                    return job_id, None
                # reported in this run only: never polled again
                fix = (
                    f"remove it from {settings.JOB_IDS_SETTING}" if job_id in self.configured
                    else f"`python -m pipelines seed-tests remove {job_id}` drops it from the list"
                )
                self.notices.append(f"{exc}; {fix}")
                return job_id, {}
            except JobError as exc:
                self.skipped.append(str(exc))
                return job_id, None

        out = []
        self.client.stats.plan(len(due))
        async with self.client:
            async for job_id, answer in as_completed_bounded((one(j) for j in due), self.in_flight):
                if answer is not None:
                    out.append((self._update(jobs[job_id], job_id, answer), answer))
        unregister(jobs, rejected)
        return out

    def _update(self, entry: dict, job_id: str, answer: dict) -> dict:
        """Records the poll in the registry and returns the job's row. An empty answer stands for
        a job the API says does not exist."""
        polled = now_iso()
        entry["first_polled_at"] = entry["first_polled_at"] or polled
        entry["last_polled_at"] = polled
        entry["final_state"] = final_state(entry, answer, self.max_age_hours) if answer else NOT_FOUND
        entry["name"] = entry.get("name") or answer.get("test_name") or None  # what `seed-tests list` shows
        row = {k: v for k, v in answer.items() if k != "results"}
        row.update(
            job_id=job_id,
            first_polled_at=entry["first_polled_at"],
            last_polled_at=polled,
            final_state=entry["final_state"] or PROCESSING,
        )
        return row


def result_rows(job_id: str, answer: dict) -> List[dict]:
    """One row per seed, every field the API sends, keyed by job."""
    return [dict(seed, job_id=job_id) for seed in answer.get("results") or [] if seed.get("seed_address")]
