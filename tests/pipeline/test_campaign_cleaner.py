"""Campaign Cleaner seed tests: registry, polling until completed or expired, errors per job."""

import pendulum
import pytest

from pipelines.campaign_cleaner import settings
from pipelines.engine.explain import explain

RESULTS = settings.GET_INBOX_TEST_RESULTS


def polls_of(sim, job_id):
    return [r for r in sim.state.requests(RESULTS, method="POST") if r.body == {"job_id": job_id}]


def test_a_job_and_every_seed_are_loaded_with_all_fields(warehouse):
    job = warehouse.sim.cleaner.add("Launch test", pendulum.now("UTC"), polls_to_complete=1)
    warehouse.load_seed_tests(job_ids=[job.job_id])
    tests = warehouse.query(
        "select test_name, status, final_state, summary__total_seeds, summary__inbox + summary__spam,"
        " first_polled_at is not null from raw.campaign_cleaner_inbox_tests")
    assert tests == [("Launch test", "Completed", "completed", len(job.seeds), len(job.seeds), True)]
    seeds = warehouse.query(
        "select seed_address, provider, email_found, placement, spf_status, sender_ip, submission_result"
        " from raw.campaign_cleaner_inbox_test_results order by seed_address")
    assert [s[0] for s in seeds] == sorted(job.seeds)
    assert all(s[2] is True and s[3] in ("Inbox", "Spam") and s[4] == "pass" for s in seeds)


def test_processing_jobs_are_polled_each_run_and_completed_ones_never_again(warehouse):
    job = warehouse.sim.cleaner.add("Two polls", pendulum.now("UTC"), polls_to_complete=2)
    for _ in range(3):
        warehouse.load_seed_tests(job_ids=[job.job_id])
    assert len(polls_of(warehouse.sim, job.job_id)) == 2
    assert warehouse.query("select status, final_state from raw.campaign_cleaner_inbox_tests") == [
        ("Completed", "completed")]
    pending = warehouse.query("select count(*) from raw.campaign_cleaner_inbox_test_results where placement = 'Pending'")
    assert pending == [(0,)]


def test_a_job_processing_past_the_age_limit_expires_with_its_pending_seeds_kept(warehouse):
    job = warehouse.sim.cleaner.add("Stuck", pendulum.now("UTC").subtract(hours=80), polls_to_complete=None)
    warehouse.load_seed_tests(job_ids=[job.job_id], max_age_hours=72)
    warehouse.load_seed_tests(job_ids=[job.job_id], max_age_hours=72)
    assert len(polls_of(warehouse.sim, job.job_id)) == 1
    assert warehouse.query("select status, final_state from raw.campaign_cleaner_inbox_tests") == [
        ("Processing", "expired")]
    assert warehouse.query(
        "select count(*) from raw.campaign_cleaner_inbox_test_results where placement = 'Pending'") == [(1,)]


def test_a_young_stuck_job_stays_processing(warehouse):
    job = warehouse.sim.cleaner.add("Young", pendulum.now("UTC"), polls_to_complete=None)
    warehouse.load_seed_tests(job_ids=[job.job_id])
    warehouse.load_seed_tests(job_ids=[job.job_id])
    assert len(polls_of(warehouse.sim, job.job_id)) == 2
    assert warehouse.query("select final_state from raw.campaign_cleaner_inbox_tests") == [("processing",)]


def test_an_unknown_job_is_one_notice_naming_it_and_the_other_jobs_load(warehouse):
    job = warehouse.sim.cleaner.add("Fine", pendulum.now("UTC"), polls_to_complete=1)
    report = warehouse.load_seed_tests(job_ids=["job_doesnotexist", job.job_id])
    assert report.skipped == [] and len(report.stats.notices) == 1
    assert report.stats.notices[0].startswith("Campaign Cleaner job job_doesnotexist does not exist (Job not found)")
    assert set(warehouse.query("select job_id, final_state from raw.campaign_cleaner_inbox_tests")) == {
        (job.job_id, "completed"), ("job_doesnotexist", "not_found")}


def test_an_unknown_job_is_reported_once_and_never_polled_again(warehouse):
    warehouse.load_seed_tests(job_ids=["job_typo"])
    assert warehouse.load_seed_tests(job_ids=["job_typo"]).stats.notices == []
    assert len(polls_of(warehouse.sim, "job_typo")) == 1


def test_a_wrong_key_is_one_clear_error_and_loads_nothing(warehouse):
    job = warehouse.sim.cleaner.add("Any", pendulum.now("UTC"), polls_to_complete=1)
    with pytest.raises(Exception) as failure:
        warehouse.load_seed_tests(job_ids=[job.job_id], api_key="bad-cc-key-9")
    line = explain(failure.value)
    assert "HTTP 401" in line and "SOURCES__CAMPAIGN_CLEANER__API_KEY" in line and "bad-cc-key-9" not in line
    if warehouse.db.exists():
        assert warehouse.tables() == {}


def test_the_registry_survives_a_fresh_machine(warehouse, tmp_path):
    job = warehouse.sim.cleaner.add("Registered", pendulum.now("UTC"), polls_to_complete=2)
    warehouse.load_seed_tests(register_job_ids=[job.job_id])
    warehouse.pipelines_dir = tmp_path / "another-machine"
    warehouse.load_seed_tests()
    assert len(polls_of(warehouse.sim, job.job_id)) == 2
    assert warehouse.query("select final_state from raw.campaign_cleaner_inbox_tests") == [("completed",)]
