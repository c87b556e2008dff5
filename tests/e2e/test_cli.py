"""`python -m pipelines run` as cron runs it: exit codes, one-line errors, crash recovery."""

import re
import signal
import subprocess
import sys
import time
from datetime import timezone
from pathlib import Path

import duckdb

from helpers import BAR as bar
from helpers import (
    ROOT,
    RUN_LOCK_HOLDER,
    Warehouse,
    cleaner_settings,
    env_for,
    holding,
    run_cli,
    run_on_terminal,
    run_report,
    run_seed_tests,
)
from simulator.server import free_port


def test_without_a_key_run_exits_non_zero_with_one_line_naming_the_setting(sim, tmp_path):
    env = env_for(sim, tmp_path)
    del env["SOURCES__INSTANTLY__API_KEY"]
    result = run_cli(env)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "SOURCES__INSTANTLY__API_KEY" in result.stderr
    assert sim.state.log == []
    assert "$ dbt" not in "".join(log.read_text() for log in (tmp_path / "logs").glob("run-*.log"))  # never started


def test_a_bad_start_date_exits_non_zero_with_one_line_naming_it(sim, tmp_path):
    result = run_cli(env_for(sim, tmp_path, SOURCES__INSTANTLY__START_DATE="2026-02-30"))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: SOURCES__INSTANTLY__START_DATE must be a date like 2026-01-31, got '2026-02-30'"
    )


def test_a_base_url_without_a_scheme_is_refused_before_any_request(sim, tmp_path):
    result = run_cli(env_for(sim, tmp_path, SOURCES__INSTANTLY__BASE_URL="api.instantly.ai"), "--skip-dbt")
    assert result.returncode == 1
    assert result.stderr == (
        "error: SOURCES__INSTANTLY__BASE_URL='api.instantly.ai' is not an http(s) URL with a host name\n")
    assert sim.state.log == []


def test_an_unreachable_api_is_one_line_with_its_host_the_cause_and_the_setting(sim, tmp_path):
    port = free_port()
    result = run_cli(env_for(sim, tmp_path, SOURCES__INSTANTLY__BASE_URL=f"http://127.0.0.1:{port}"), "--skip-dbt")
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert f"cannot reach 127.0.0.1:{port} (connection refused). Check SOURCES__INSTANTLY__BASE_URL" in line


def test_a_wrong_key_exits_non_zero_without_leaking_it(sim, tmp_path):
    result = run_cli(env_for(sim, tmp_path, SOURCES__INSTANTLY__API_KEY="leaky-secret-1"), "--skip-dbt")
    assert result.returncode == 1
    assert "HTTP 401" in result.stderr and "leaky-secret-1" not in result.stderr + result.stdout
    assert result.stderr.strip().count("\n") == 0
    assert "leaky-secret-1" not in next((tmp_path / "logs").glob("run-*.log")).read_text()
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:  # the ledger says why, never the key
        causes = con.execute("select distinct cause from raw.run_ledger where family <> 'dbt'").fetchall()
    assert len(causes) == 1 and "HTTP 401" in causes[0][0] and "leaky-secret-1" not in causes[0][0]


def test_a_run_killed_midway_then_rerun_matches_an_uninterrupted_run(sim, tmp_path):
    reference = Warehouse(tmp_path / "reference", sim)
    assert run_cli(env_for(sim, reference.root), "--skip-dbt").returncode == 0

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

    rerun = run_cli(env_for(sim, crashed.root), "--skip-dbt")
    assert rerun.returncode == 0, rerun.stderr
    assert crashed.tables() == reference.tables()


def test_without_a_campaign_cleaner_key_run_skips_it_with_one_notice(sim, tmp_path):
    result = run_cli(env_for(sim, tmp_path), "--skip-dbt")
    assert result.returncode == 0, result.stderr
    notices = [line for line in result.stdout.splitlines() if line.startswith("notice:")]
    assert notices == ["notice: Campaign Cleaner skipped (SOURCES__CAMPAIGN_CLEANER__API_KEY is not set)"]


def test_seed_tests_create_prints_the_seeds_and_list_shows_the_job(sim, tmp_path):
    env = env_for(sim, tmp_path, **cleaner_settings(sim))
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
    env = env_for(sim, tmp_path, **cleaner_settings(sim))
    assert run_seed_tests(env, "add", job.job_id).returncode == 0
    assert run_cli(env, "--skip-dbt").returncode == 0
    listed = run_seed_tests(env, "list")
    assert any(line.startswith(job.job_id) and "completed" in line for line in listed.stdout.splitlines())


def test_seed_tests_list_shows_the_name_of_a_job_that_was_added_by_id(sim, tmp_path):
    import pendulum

    job = sim.cleaner.add("Named by its sender", pendulum.now("UTC"), polls_to_complete=1)
    env = env_for(sim, tmp_path, **cleaner_settings(sim))
    assert run_seed_tests(env, "add", job.job_id).returncode == 0
    [row] = [line for line in run_seed_tests(env, "list").stdout.splitlines() if line.startswith(job.job_id)]
    assert "Named by its sender" in row


def test_seed_tests_add_of_a_job_that_does_not_exist_fails_and_tracks_nothing(sim, tmp_path):
    env = env_for(sim, tmp_path, **cleaner_settings(sim))
    added = run_seed_tests(env, "add", "job_nope")
    assert added.returncode == 1
    assert [line for line in added.stderr.splitlines()] == [
        next(line for line in added.stderr.splitlines() if "job_nope does not exist" in line and "not tracked" in line)]
    assert "job_nope" not in run_seed_tests(env, "list").stdout


def test_seed_tests_list_of_a_warehouse_it_cannot_read_is_an_error_not_an_empty_list(sim, tmp_path):
    env = env_for(sim, tmp_path, SOURCES__CAMPAIGN_CLEANER__API_KEY=sim.cleaner.api_key)
    (tmp_path / "warehouse.duckdb").write_text("not a database")
    listed = run_seed_tests(env, "list")
    assert listed.returncode == 1 and "job_id" not in listed.stdout
    assert listed.stderr.startswith("error: ") and listed.stderr.count("\n") == 1


def test_a_second_run_exits_at_once_while_one_holds_the_lock(sim, tmp_path):
    env = env_for(sim, tmp_path)
    with holding(RUN_LOCK_HOLDER, env, "locked") as holder:
        second = run_cli(env, "--skip-dbt")
    assert second.returncode == 1
    assert re.fullmatch(rf"error: another writer holds the warehouse \(run pid {holder.pid} on \S+ since \S+\);"
                        r" lock \S+\.run\.lock\n", second.stderr), second.stderr
    assert sim.state.log == []
    assert run_cli(env, "--skip-dbt").returncode == 0, "a killed holder leaves no lock behind"
    refused = Warehouse(tmp_path, sim).query("select cause from raw.run_ledger where status = 'refused'")
    assert [cause for (cause,) in refused] == [second.stderr.removeprefix("error: ").strip()]


def test_a_run_told_to_wait_starts_once_the_holder_lets_go(sim, tmp_path):
    env = env_for(sim, tmp_path)
    with holding(RUN_LOCK_HOLDER, env, "locked") as holder:
        waiting = subprocess.Popen([sys.executable, "-m", "pipelines", "run", "--skip-dbt", "--wait"], cwd=ROOT,
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        assert waiting.poll() is None and sim.state.log == [], "did not wait for the holder"
        holder.kill()
        out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert sim.state.log


def test_cron_output_is_one_line_per_resource_one_for_dbt_and_a_summary_naming_the_log(cron_run):
    result, root = cron_run.result, cron_run.warehouse.root
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    from pipelines.flow import FAMILIES
    from pipelines.instantly.activity import MAP
    from pipelines.instantly.plan import CAMPAIGNS

    names = [name for f in FAMILIES for name in f.resources + ((MAP,) if f is CAMPAIGNS else ())]
    resources = [line for line in lines if line.startswith("resource ")]
    assert [line.split(":")[0].removeprefix("resource ") for line in resources] == names
    assert all(re.search(r": [\d,]+ rows, [\d,]+ requests, [\d,]+ retries, [\d,]+ throttled \(429\), [\d.]+s$", line)
               for line in resources)
    assert re.fullmatch(r"dbt build: \d+ models, \d+ tests passed in [\d.]+s", lines[-4])
    assert re.fullmatch(r"alerts: \d+ opened, 0 resolved \(\d+ open\); no destination set", lines[-3])
    assert lines[-2].startswith(f"snapshot for BI tools: {root / 'warehouse.snapshot.duckdb'} (")
    summary = re.fullmatch(
        r"loaded [\d,]+ rows into \d+ tables with [\d,]+ requests in [\d.]+s \(families: 7 ok\); log: (\S+\.log)", lines[-1])
    assert summary and len(lines) == len(resources) + 4
    log = Path(summary.group(1))
    logs = root / "logs"
    assert log.parent == logs and "Running with dbt" in log.read_text()
    kept = sorted(p.name for p in logs.glob("*.log"))
    assert len(kept) == 30 and log.name in kept and "run-old-00.log" not in kept


def test_a_warehouse_held_by_another_process_is_one_line_naming_its_pid(sim, tmp_path):
    env = env_for(sim, tmp_path, **cleaner_settings(sim))  # every source would fail the same way
    db = str(tmp_path / "warehouse.duckdb")
    code = f"import duckdb, time\ncon = duckdb.connect({db!r})\nprint('open', flush=True); time.sleep(60)"
    with holding(code, env, "open") as holder:
        result = run_cli(env, "--skip-dbt")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert f"is locked by PID {holder.pid}" in result.stderr and "warehouse.snapshot.duckdb" in result.stderr


def test_a_setting_that_is_not_a_number_is_named_with_its_value(sim, tmp_path):
    result = run_cli(env_for(sim, tmp_path, SOURCES__INSTANTLY__MAX_REQUESTS_PER_SECOND="abc"), "--skip-dbt")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: SOURCES__INSTANTLY__MAX_REQUESTS_PER_SECOND='abc' is not a number"


def test_runs_started_from_two_directories_share_the_warehouse_lock(sim, tmp_path):
    env = env_for(sim, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with holding(RUN_LOCK_HOLDER, env, "locked"):
        second = run_cli(env, "--skip-dbt", cwd=elsewhere)
    assert second.returncode == 1
    assert second.stderr.startswith("error: another writer holds the warehouse (run pid ")


def children_named(pid: int, word: str):
    """PIDs of the processes whose parent is `pid` and whose command line holds `word`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
        if parent == pid and word in command:
            found.append(int(stat.parent.name))
    return found


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_killing_a_run_during_dbt_ends_dbt_too(sim, tmp_path):
    run = subprocess.Popen([sys.executable, "-m", "pipelines", "run"], cwd=ROOT, env=env_for(sim, tmp_path),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dbt = []
    deadline = time.monotonic() + 120
    while not dbt and run.poll() is None and time.monotonic() < deadline:
        dbt = children_named(run.pid, "dbt")
        time.sleep(0.05)
    assert dbt, "dbt never started"
    run.send_signal(signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 60
    while is_running(dbt[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not is_running(dbt[0])
    assert run_cli(env_for(sim, tmp_path), "--skip-dbt").returncode == 0, "nothing is left holding the warehouse"


def test_seed_tests_remove_stops_tracking_a_job(sim, tmp_path):
    import pendulum

    job = sim.cleaner.add("To remove", pendulum.now("UTC"), polls_to_complete=9)
    env = env_for(sim, tmp_path, **cleaner_settings(sim))
    assert run_seed_tests(env, "add", job.job_id).returncode == 0
    assert run_seed_tests(env, "remove", job.job_id).returncode == 0
    assert job.job_id not in run_seed_tests(env, "list").stdout
    polls = len([r for r in sim.state.log if r.body == {"job_id": job.job_id}])
    assert run_cli(env, "--skip-dbt").returncode == 0
    assert len([r for r in sim.state.log if r.body == {"job_id": job.job_id}]) == polls


def test_job_ids_may_be_one_comma_separated_variable(sim, tmp_path):
    import pendulum

    jobs = [sim.cleaner.add(f"Listed {n}", pendulum.now("UTC"), polls_to_complete=1).job_id for n in range(2)]
    env = env_for(sim, tmp_path, **cleaner_settings(sim), SOURCES__CAMPAIGN_CLEANER__JOB_IDS=",".join(jobs))
    result = run_cli(env, "--skip-dbt")
    assert result.returncode == 0, result.stderr
    loaded = Warehouse(tmp_path, sim).query("select job_id from raw.campaign_cleaner_inbox_tests")
    assert sorted(j for (j,) in loaded) == sorted(jobs)


def test_a_typo_in_job_ids_is_one_notice_once_and_dbt_still_builds(sim, tmp_path):
    env = env_for(sim, tmp_path, **cleaner_settings(sim), SOURCES__CAMPAIGN_CLEANER__JOB_IDS="job_tpyo")
    first = run_cli(env)
    assert first.returncode == 0, first.stderr
    [notice] = [line for line in first.stdout.splitlines() if "job_tpyo" in line]
    assert notice.startswith("notice: Campaign Cleaner job job_tpyo does not exist")
    assert notice.endswith("remove it from SOURCES__CAMPAIGN_CLEANER__JOB_IDS")
    assert any(line.startswith("dbt build: ") for line in first.stdout.splitlines())
    again = run_cli(env, "--skip-dbt")
    assert again.returncode == 0 and "job_tpyo" not in again.stdout + again.stderr
    assert "not_found" in run_seed_tests(env, "list").stdout


def test_seed_tests_list_never_creates_a_warehouse(sim, tmp_path):
    env = env_for(sim, tmp_path, SOURCES__CAMPAIGN_CLEANER__API_KEY=sim.cleaner.api_key)
    listed = run_seed_tests(env, "list")
    assert listed.returncode == 0, listed.stderr
    assert not (tmp_path / "warehouse.duckdb").exists()
    report = run_report(env, tmp_path / "report.html", cwd=tmp_path)  # where no `make demo` warehouse stands in
    assert report.returncode == 1
    assert report.stderr.count("\n") == 1 and "make run" in report.stderr


def test_docs_before_any_load_is_one_line_saying_what_to_run(sim, tmp_path):
    result = subprocess.run([sys.executable, "-m", "pipelines", "docs"], cwd=tmp_path, env=env_for(sim, tmp_path),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "no warehouse at" in result.stderr and "make run" in result.stderr


def test_on_a_terminal_each_resource_shows_requests_out_of_planned_while_it_runs(sim, tmp_path):
    sim.state.reset(latency_s=(0.01, 0.03))
    # paced so the activity map's 40 requests last a second: the board draws them, however busy the machine
    code, screen = run_on_terminal(env_for(sim, tmp_path, SOURCES__INSTANTLY__MAX_REQUESTS_PER_SECOND="40"))
    assert code == 0
    assert "━" in screen
    assert re.search(r"instantly_campaign_analytics_steps" + bar + r"requests\s+[\d,]+ rows", screen)
    assert re.search(r"^resource instantly_campaign_analytics_steps: ", screen, re.M)
    counts = [(int(done), int(total)) for done, total in re.findall(r"(\d+)/(\d+) requests", screen)]
    assert counts and all(done <= total for done, total in counts), "a bar counted past its total"
    assert re.search(r"instantly_activity_map" + bar + "requests", screen)
    assert re.search(r"instantly_inbox_placement_analytics" + bar + "requests", screen)
    assert re.search(r"dbt build" + bar + "nodes", screen)
    waiting = r"instantly_campaign_analytics_(steps|overview) \(waiting: instantly_activity_map\)"
    assert re.search(waiting + bar + "requests", screen), "a resource waiting on the map shows the map's progress"


def test_the_report_during_a_run_reads_the_bi_snapshot_and_says_so(cron_run, tmp_path):
    root = cron_run.warehouse.root
    with holding(RUN_LOCK_HOLDER, cron_run.env, "locked"):
        done = run_report(cron_run.env, tmp_path / "report.html")
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(
        rf"report: {re.escape(str(tmp_path / 'report.html'))}, from the warehouse"
        rf" duckdb:{re.escape(str(root / 'warehouse.snapshot.duckdb'))}, loaded \d{{4}}-\d\d-\d\d \d\d:\d\d UTC"
        r" \(the BI snapshot: a run is writing the warehouse\)", done.stdout.strip()), done.stdout


def test_the_report_page_and_line_name_the_warehouse_and_when_it_was_loaded(cron_run, tmp_path):
    done = run_report(cron_run.env, tmp_path / "report.html")
    assert done.returncode == 0, done.stderr
    loaded = cron_run.warehouse.query("select max(ended_at) from raw.run_ledger where status = 'ok' and family <> 'dbt'")
    when = f"loaded {loaded[0][0].astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"
    source = f"the warehouse duckdb:{cron_run.warehouse.db}, {when}"
    assert done.stdout.strip() == f"report: {tmp_path / 'report.html'}, from {source}"
    assert f"marts of {source};" in (tmp_path / "report.html").read_text()


def demo_beside(folder: Path) -> None:
    """A `make demo` warehouse in `folder/data`, as after `make demo` in a checkout."""
    (folder / "data").mkdir()
    duckdb.connect(str(folder / "data" / "demo.duckdb")).close()


def test_the_report_never_reads_the_demo_in_place_of_the_configured_warehouse(sim, tmp_path):
    demo_beside(tmp_path)
    env = env_for(sim, tmp_path)
    done = run_report(env, tmp_path / "report.html", cwd=tmp_path)
    assert done.returncode == 1 and not (tmp_path / "report.html").exists()
    assert done.stderr == f"error: no warehouse at {tmp_path / 'warehouse.duckdb'} yet: load it first (make run)\n"


def test_alerts_on_a_missing_warehouse_is_one_line_and_leaves_no_file(sim, tmp_path):
    demo_beside(tmp_path)
    done = subprocess.run([sys.executable, "-m", "pipelines", "alerts"], cwd=tmp_path, env=env_for(sim, tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr == f"error: no warehouse at {tmp_path / 'warehouse.duckdb'} yet: load it first (make run)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "logs"]


def test_ctrl_c_says_interrupted_and_how_far_the_run_got(sim, tmp_path):
    sim.state.reset(latency_s=(0.02, 0.05))
    # paced at 40 requests a second, the load outlasts a busy machine's look at the request log by seconds
    env = env_for(sim, tmp_path, SOURCES__INSTANTLY__MAX_REQUESTS_PER_SECOND="40")
    run = subprocess.Popen([sys.executable, "-m", "pipelines", "run"], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # a foreground run
    deadline = time.monotonic() + 120
    while len(sim.state.log) < 80 and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.05)
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 130, out + err
    assert "Traceback" not in out + err
    summary = out.strip().splitlines()[-1]
    requests = int(re.search(r"with ([\d,]+) requests", summary).group(1).replace(",", ""))
    assert requests >= 60  # what was asked before Ctrl-C (the simulator saw 80), not 0
    assert "interrupted: " in summary and " families had loaded, the rest keep their cursors" in summary
