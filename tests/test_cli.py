"""`python -m pipelines run` as cron runs it: exit codes, one-line errors, crash recovery."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path


from conftest import Warehouse

ROOT = Path(__file__).resolve().parents[1]


def env_for(sim, root: Path, **extra: str) -> dict:
    ws = sim.workspace
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
    env.update(
        DLT_DATA_DIR=str(root / "dlt"),
        DESTINATION__DUCKDB__CREDENTIALS=str(root / "warehouse.duckdb"),
        SOURCES__INSTANTLY__API_KEY=sim.api_key,
        SOURCES__INSTANTLY__BASE_URL=sim.url,
        SOURCES__INSTANTLY__START_DATE=ws.first_day.isoformat(),
        SOURCES__INSTANTLY__END_DATE=ws.today.isoformat(),
        SOURCES__INSTANTLY__MAX_REQUESTS_PER_SECOND="100",
        RUN_LOCK_FILE=str(root / "run.lock"),
    )
    env.update(extra)
    return env


def run_cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines", "run", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def test_without_a_key_run_exits_non_zero_with_one_line_naming_the_setting(sim, tmp_path):
    env = env_for(sim, tmp_path)
    del env["SOURCES__INSTANTLY__API_KEY"]
    result = run_cli(env)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "SOURCES__INSTANTLY__API_KEY" in result.stderr
    assert sim.state.log == []


def test_a_bad_start_date_exits_non_zero_with_one_line_naming_it(sim, tmp_path):
    result = run_cli(env_for(sim, tmp_path, SOURCES__INSTANTLY__START_DATE="2026-02-30"))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: SOURCES__INSTANTLY__START_DATE must be a date like 2026-01-31, got '2026-02-30'"
    )


def test_a_wrong_key_exits_non_zero_without_leaking_it(sim, tmp_path):
    result = run_cli(env_for(sim, tmp_path, SOURCES__INSTANTLY__API_KEY="leaky-secret-1"))
    assert result.returncode == 1
    assert "HTTP 401" in result.stderr and "leaky-secret-1" not in result.stderr + result.stdout
    assert result.stderr.strip().count("\n") == 0


def test_a_run_killed_midway_then_rerun_matches_an_uninterrupted_run(sim, tmp_path):
    reference = Warehouse(tmp_path / "reference", sim)
    assert run_cli(env_for(sim, reference.root)).returncode == 0

    crashed = Warehouse(tmp_path / "crashed", sim)
    sim.state.reset(latency_s=(0.01, 0.03))
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines", "run"], cwd=ROOT, env=env_for(sim, crashed.root),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while len(sim.state.log) < 60 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    sim.state.reset()

    rerun = run_cli(env_for(sim, crashed.root))
    assert rerun.returncode == 0, rerun.stderr
    assert crashed.tables() == reference.tables()


def run_seed_tests(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines", "seed-tests", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def test_without_a_campaign_cleaner_key_run_skips_it_with_one_notice(sim, tmp_path):
    result = run_cli(env_for(sim, tmp_path), "--skip-dbt")
    assert result.returncode == 0, result.stderr
    notices = [line for line in result.stdout.splitlines() if line.startswith("notice:")]
    assert notices == ["notice: Campaign Cleaner skipped (SOURCES__CAMPAIGN_CLEANER__API_KEY is not set)"]


def test_seed_tests_create_prints_the_seeds_and_list_shows_the_job(sim, tmp_path):
    env = env_for(sim, tmp_path, SOURCES__CAMPAIGN_CLEANER__API_KEY=sim.cleaner.api_key,
                  SOURCES__CAMPAIGN_CLEANER__BASE_URL=sim.url)
    created = run_seed_tests(env, "create", "--name", "Q4 launch")
    assert created.returncode == 0, created.stderr
    job_id = re.search(r"created seed test (\S+);", created.stdout).group(1)
    assert set(sim.cleaner.jobs[job_id].seeds) <= set(created.stdout.split())

    listed = run_seed_tests(env, "list")
    row = next(line for line in listed.stdout.splitlines() if line.startswith(job_id))
    assert "processing" in row and "Q4 launch" in row


def test_seed_tests_add_tracks_a_job_that_the_next_run_polls(sim, tmp_path):
    import pendulum

    job = sim.cleaner.add("Added", pendulum.now("UTC"), polls_to_complete=2)
    env = env_for(sim, tmp_path, SOURCES__CAMPAIGN_CLEANER__API_KEY=sim.cleaner.api_key,
                  SOURCES__CAMPAIGN_CLEANER__BASE_URL=sim.url)
    assert run_seed_tests(env, "add", job.job_id).returncode == 0
    assert run_cli(env, "--skip-dbt").returncode == 0
    listed = run_seed_tests(env, "list")
    assert any(line.startswith(job.job_id) and "completed" in line for line in listed.stdout.splitlines())


def test_a_second_run_exits_at_once_while_one_holds_the_lock(sim, tmp_path):
    env = env_for(sim, tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pipelines.lock import run_lock\n"
         "with run_lock():\n    print('locked', flush=True); time.sleep(60)"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        second = run_cli(env, "--skip-dbt")
        assert second.returncode == 1
        assert second.stderr.startswith("error: another run is in progress (pid ")
        assert sim.state.log == []
    finally:
        holder.kill()
        holder.wait()
    assert run_cli(env, "--skip-dbt").returncode == 0, "a killed holder leaves no lock behind"


def test_a_run_prints_one_line_per_resource_and_a_summary(sim, tmp_path):
    result = run_cli(env_for(sim, tmp_path), "--skip-dbt")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    resources = [line for line in lines if line.startswith("resource ")]
    from pipelines.instantly import instantly

    names = list(instantly(api_key="x").resources)
    assert [line.split(":")[0].removeprefix("resource ") for line in resources] == names
    assert all(re.search(r": [\d,]+ rows, [\d,]+ requests, [\d.]+s$", line) for line in resources)
    assert re.fullmatch(r"loaded [\d,]+ rows into \d+ tables with [\d,]+ requests in [\d.]+s", lines[-1])
