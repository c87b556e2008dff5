"""A fake Campaign Cleaner seed-test API: jobs that complete after N polls, one stuck forever,
error bodies with HTTP 200 for unknown jobs, and `create_inbox_test`."""

import random
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import pendulum
from aiohttp import web

from simulator.server import SimulatorState, json_body, json_response

DEFAULT_CC_API_KEY = "simulator-cc-key"
PROVIDERS = ("Gmail", "Gmail", "Outlook", "Hotmail", "Office 365", "Yahoo", "GMX", "Zoho")


@dataclass
class Job:
    job_id: str
    name: str
    submitted: pendulum.DateTime
    polls_to_complete: Optional[int]  # None: one seed never receives it, Processing forever
    seeds: List[str]
    polls: int = 0
    outcome: Dict[str, str] = field(default_factory=dict)


class CleanerWorkspace:
    """Seed-test jobs; each poll lets more seeds receive the email."""

    def __init__(self, seed: int = 7, api_key: str = DEFAULT_CC_API_KEY) -> None:
        self.api_key = api_key
        self.rng = random.Random(f"cleaner|{seed}")
        self.jobs: Dict[str, Job] = {}
        now = pendulum.now("UTC")
        self.add("Fast test", now.subtract(hours=1), polls_to_complete=2)
        self.add("Slow test", now.subtract(hours=2), polls_to_complete=4)
        self.add("Stuck test", now.subtract(hours=3), polls_to_complete=None)

    def add(self, name: str, submitted: pendulum.DateTime, polls_to_complete: Optional[int]) -> Job:
        job_id = f"job_{uuid.UUID(int=self.rng.getrandbits(128)).hex[:16]}"
        seeds = [f"seed{n:02d}.{PROVIDERS[n].lower().replace(' ', '')}@seeds.example" for n in range(len(PROVIDERS))]
        job = Job(job_id, name, submitted, polls_to_complete, seeds)
        for seed in seeds:
            job.outcome[seed] = "Spam" if self.rng.random() < 0.25 else "Inbox"
        self.jobs[job_id] = job
        return job

    def results(self, job: Job) -> dict:
        """The answer to one poll (which counts as a poll)."""
        job.polls += 1
        if job.polls_to_complete is None:
            arrived = len(job.seeds) - 1
        else:
            arrived = min(len(job.seeds), len(job.seeds) * job.polls // job.polls_to_complete)
        rows = []
        for n, seed in enumerate(job.seeds):
            found = n < arrived
            rows.append({
                "provider": PROVIDERS[n],
                "seed_address": seed,
                "email_found": found,
                "placement": job.outcome[seed] if found else "Pending",
                "spf_status": "pass" if found else None,
                "sender_ip": "198.51.100.7" if found else None,
                "submission_result": "delivered" if found else None,
            })
        inbox = sum(r["placement"] == "Inbox" for r in rows)
        spam = sum(r["placement"] == "Spam" for r in rows)
        total = len(rows)
        return {
            "job_id": job.job_id,
            "test_name": job.name,
            "submitted_date": job.submitted.to_iso8601_string(),
            "submitted_by": "owner@example.com",
            "status": "Completed" if arrived == total else "Processing",
            "summary": {
                "total_seeds": total,
                "received": arrived,
                "inbox": inbox,
                "spam": spam,
                "unknown_placement": 0,
                "pending": total - arrived,
                "inbox_rate": round(100 * inbox / total, 2),
                "spam_rate": round(100 * spam / total, 2),
            },
            "results": rows,
        }


def cleaner_authorize(cw: CleanerWorkspace, request: web.Request) -> Optional[web.Response]:
    if request.headers.get("X-CC-API-Key") != cw.api_key:
        return web.json_response({"error": "Invalid API key"}, status=401)
    return None


def add_cleaner_routes(app: web.Application, cw: CleanerWorkspace, state: SimulatorState) -> None:
    async def get_results(request: web.Request) -> web.Response:
        job = cw.jobs.get(str((await json_body(request)).get("job_id")))
        if job is None:  # the API reports errors in the body, HTTP 200 included
            return json_response({"error": "Job not found"})
        return json_response(cw.results(job))

    async def create(request: web.Request) -> web.Response:
        name = (await json_body(request)).get("test_name") or "Untitled test"
        job = cw.add(str(name), pendulum.now("UTC"), polls_to_complete=3)
        return json_response({"job_id": job.job_id, "send_to": job.seeds})

    app.router.add_post("/v1/get_inbox_test_results", get_results)
    app.router.add_post("/v1/create_inbox_test", create)
