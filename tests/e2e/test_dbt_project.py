"""The dbt project on simulator-loaded warehouses: it builds, its tests bite, the marts are right,
and every query in sql/ runs on the marts."""

import os
import re
import shutil
import subprocess
from collections import Counter
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import duckdb
import pendulum
import pytest

from helpers import RECEIVED, ROOT, seed_sends, sent_records, truth_daily, wilson
from pipelines.common.dates import utc_today
from pipelines.common.errors import TransformError
from pipelines.engine import runner
from pipelines.engine.warehouse import resolve
from pipelines.outputs.certainty import beyond_noise, wilson_interval
from pipelines.outputs.report import write_report
from pipelines.outputs.review import SILENT_DAYS, WORST_CELLS_PER_TEST, percent
from pipelines.outputs.transform import dbt_build, run_dbt
from simulator.placement import SEEDS

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


def test_marts_count_every_received_seed_email_once(built):
    received = built.query(
        "select count(*) from raw.instantly_inbox_placement_analytics"
        f" where {RECEIVED}")
    placed = built.query("select sum(total_count) from analytics.inbox_placement where source = 'instantly'")
    assert placed == received
    seeds = built.query("select count(*) from raw.campaign_cleaner_inbox_test_results where placement in ('Inbox', 'Spam')")
    assert built.query(
        "select sum(total_count) from analytics.inbox_placement where source = 'campaign_cleaner'") == seeds


def test_rates_are_counts_over_the_total(built):
    off = built.query("""
        select count(*) from analytics.placement_rates_by_esp
        where abs(inbox_rate - cast(inbox_count as double) / total_count) > 1e-9
           or abs(inbox_rate + spam_rate + category_rate - 1) > 1e-9""")
    assert off == [(0,)]


def test_deleted_campaigns_are_flagged_and_keep_their_days(built):
    deleted = [c.id for c in built.sim.workspace.campaigns if not c.listed]
    flagged = {r[0] for r in built.query("select campaign_id from analytics.campaigns where is_deleted")}
    assert flagged == set(deleted)
    assert built.query(
        f"select count(*) > 0 from analytics.campaign_daily where campaign_id = '{deleted[0]}'") == [(True,)]


def test_campaign_daily_is_a_dense_calendar(built):
    gaps = built.query("""
        select campaign_id from analytics.campaign_daily group by campaign_id
        having count(*) <> datediff('day', min(activity_date), max(activity_date)) + 1""")
    assert gaps == []


@pytest.mark.parametrize("query", sorted(p.name for p in SQL_DIR.glob("*.sql") if p.name[0] != "_"))
def test_every_analysis_query_runs_on_the_marts(built, query):
    rows = built.query((SQL_DIR / query).read_text())
    assert rows, f"{query} returned nothing on a loaded warehouse"


def test_the_python_wilson_interval_is_the_marts(built):
    rows = built.query("select inbox_count, sent_count, inbox_rate_of_sent_low, inbox_rate_of_sent_high"
                       " from analytics.mailbox_placement_latest where sent_count > 0")
    assert rows
    for hits, n, low, high in rows:
        assert wilson_interval(hits, n) == pytest.approx((low, high)), (hits, n)


def test_dbt_builds_before_placement_or_seed_test_tables_exist(warehouse, tmp_path):
    campaign_resources = [name for name in warehouse.source().resources if "campaign" in name]
    runner.run(warehouse.pipeline(), lambda run: warehouse.source(run=run).with_resources(*campaign_resources))
    dbt_build(warehouse.destination(), target_path=str(tmp_path / "target"))
    assert warehouse.query("select count(*) from analytics.inbox_placement") == [(0,)]


def test_sources_that_stop_reconciling_warn_and_hold_back_no_mart(built, tmp_path):
    copy = tmp_path / "warehouse.duckdb"  # the warehouse's file name: dbt reuses the project's parse
    shutil.copy(built.db, copy)
    with duckdb.connect(str(copy)) as con:
        # steps no longer add up to daily sent; placement records and stats disagree
        con.execute("update raw.instantly_campaign_analytics_steps set sent = sent + 1 where step = '1' and variant = '0'")
        con.execute("update raw.instantly_inbox_placement_stats set spam_count = spam_count + 1 where recipient_esp = 1")
    outcome = dbt_build(resolve("duckdb", duckdb_file=str(copy)), target_path=str(tmp_path / "target"))
    assert outcome.warnings == ("assert_placement_records_match_stats", "assert_steps_sum_to_daily_sent")
    assert "(2 warnings: names in the log)" in outcome.line
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute("select count(*) from analytics.campaign_step_daily").fetchone()[0] > 0
        assert con.execute("select count(*) from analytics.placement_rates_by_esp").fetchone()[0] > 0


def test_the_dbt_unit_tests_pass_and_a_run_does_not_run_them(built, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(built.db, copy)
    log = tmp_path / "dbt.log"
    code = run_dbt(resolve("duckdb", duckdb_file=str(copy)), ["test", "--select", "test_type:unit"], tmp_path / "target", log)
    ran = re.search(r"PASS=(\d+) WARN=0 ERROR=0", log.read_text())
    assert code == 0 and ran and int(ran[1]) > 0, log.read_text()[-2000:]
    run_log = next((built.root / "logs").glob("run-2*.log")).read_text()
    assert re.search(r"\d+ of \d+ OK created sql table model", run_log)
    assert not re.search(r"\d+ of \d+ START unit_test", run_log)


def test_a_broken_grain_fails_the_build(built, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(built.db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("insert into raw.instantly_workspaces select * from raw.instantly_workspaces")
    with pytest.raises(TransformError, match="unique"):
        dbt_build(resolve("duckdb", duckdb_file=str(copy)), target_path=str(tmp_path / "target"))


def test_reports_mart_names_the_listing_blacklists_and_the_rules_that_added_points(built):
    expected = dict(built.query("""
        select r.id, count(d.blacklist) filter (where d.is_listed)
        from raw.instantly_inbox_placement_reports r
        left join raw.instantly_inbox_placement_reports__blacklist_report__details d on d._dlt_root_id = r._dlt_id
        group by r.id"""))
    rows = built.query("select report_id, listed_blacklist_count, listed_blacklists from analytics.inbox_placement_reports")
    assert rows and {r: n for r, n, _ in rows} == expected
    assert all((names is None) == (n == 0) and (names is None or len(names.split(", ")) == n) for _, n, names in rows)
    failing = dict(built.query("""
        select r.id, count(s.name) filter (where cast(s.score as double) > 0)
        from raw.instantly_inbox_placement_reports r
        left join raw.instantly_inbox_placement_reports__spam_assassin_report__report s on s._dlt_root_id = r._dlt_id
        group by r.id"""))
    assert dict(built.query("select report_id, failing_rule_count from analytics.inbox_placement_reports")) == failing


@pytest.mark.parametrize("old, new", [
    ("fct_inbox_placement", "inbox_placement"), ("dim_campaigns", "campaigns"),
    ("dim_inbox_placement_tests", "inbox_placement_tests"), ("fct_campaign_daily", "campaign_daily"),
    ("fct_campaign_step_daily", "campaign_step_daily"), ("fct_seed_test_results", "seed_test_results"),
])
def test_the_old_mart_names_still_answer_as_views_of_the_new(built, old, new):
    assert built.query(f"select count(*) from analytics.{old}") == built.query(f"select count(*) from analytics.{new}")
    assert built.query(f"select table_type from information_schema.tables where table_name = '{old}'") == [("VIEW",)]


def test_sender_health_adds_up_to_the_raw_tables_per_mailbox(built):
    sending = built.query("""
        select lower(email_account), sum(sent), sum(bounced), sum(unique_replies)
        from raw.instantly_account_analytics_daily group by 1 order by 1""")
    assert sending and built.query(
        "select email, sum(sent), sum(bounced), sum(unique_replies) from analytics.sender_health_daily"
        " group by 1 having sum(sent) > 0 order by 1") == sending
    warmup = built.query("""
        select lower(email), sum(landed_inbox), sum(landed_spam) from raw.instantly_warmup_analytics_daily
        group by 1 order by 1""")
    assert built.query(
        "select email, sum(warmup_landed_inbox), sum(warmup_landed_spam) from analytics.sender_health_daily"
        " group by 1 having sum(warmup_sent) > 0 order by 1") == warmup


def test_sender_health_counts_each_received_placement_record_on_its_mailbox_and_utc_day(built):
    received = built.query(f"""
        select lower(sender_email), cast(timestamp_created_date as date), count(*),
               count(*) filter (where not coalesce(is_spam, false) and not coalesce(has_category, false)),
               count(*) filter (where coalesce(is_spam, false))
        from raw.instantly_inbox_placement_analytics
        where {RECEIVED}
        group by 1, 2 order by 1, 2""")
    assert received and built.query("""
        select email, health_date, placement_received, placement_inbox, placement_spam
        from analytics.sender_health_daily where placement_received > 0 order by 1, 2""") == received
    off = built.query("""
        select count(*) from analytics.sender_health_daily
        where abs(placement_inbox_rate - cast(placement_inbox as double) / placement_received) > 1e-9
           or abs(warmup_inbox_rate - cast(warmup_landed_inbox as double)
                  / (warmup_landed_inbox + warmup_landed_spam)) > 1e-9""")
    assert off == [(0,)]


def test_placement_rates_by_sender_split_the_instantly_totals_by_mailbox(built):
    by_sender = built.query("select sum(total_count) from analytics.placement_rates_by_sender where source = 'instantly'")
    assert by_sender == built.query("select sum(total_count) from analytics.inbox_placement where source = 'instantly'")
    senders = {e for (e,) in built.query("select distinct sender_email from analytics.placement_rates_by_sender"
                                         " where source = 'instantly'")}
    assert senders and senders <= set(built.sim.accounts.emails)


def test_a_domain_failing_its_vitals_shows_it_on_every_day_since_the_check(built):
    failing = sorted(built.sim.accounts.failing)
    rows = built.query("""
        select domain, bool_and(not all_pass), bool_and(not dkim), count(*)
        from analytics.sender_domain_health where vitals_checked_date is not null group by domain order by domain""")
    assert [(d, bad) for d, bad, _, _ in rows if bad] == [(d, True) for d in failing]
    assert built.query("select count(*) from analytics.sender_domain_health where accounts = 0") == [(0,)]


def test_each_sending_domains_latest_dns_check_is_one_row_with_its_mailboxes(built):
    accounts = built.sim.accounts
    truth = sorted((domain, domain not in accounts.failing, sum(a.domain == domain for a in accounts.listed()))
                   for domain in {a.domain for a in accounts.listed()})
    assert built.query("select domain, all_pass, accounts from analytics.sender_domain_dns_latest order by 1") == truth


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def rendered(html: Path) -> str:
    """The page's DOM once its scripts ran, as headless Chromium sees it."""
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000",
         "--dump-dom", html.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", ROOT / "data" / "test-artifacts"))
"""Where the report's panel screenshots are kept for people to look at (CI keeps the folder)."""
PANELS = ("headline", "alerts", "got-worse", "esp-weeks", "worst-cells", "not-ready", "silent", "domains", "campaigns")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed: apt-get install chromium")


@pytest.fixture(scope="module")
def report(built, tmp_path_factory):
    html = write_report(built.destination(), tmp_path_factory.mktemp("report") / "report.html", utc_today()).path
    return html, rendered(html) if CHROMIUM else None


def panel_attributes(dom: str) -> dict:
    """Each panel's key -> (n, expected marks, drawn marks), in page order."""
    found = re.findall(r'<section class="panel" data-panel="([^"]+)" data-title="[^"]+" data-n="(\d+)"'
                       r' data-expected-marks="(\d+)" data-drawn-marks="(\d+)"', dom)
    return {key: (int(n), int(expected), int(drawn)) for key, n, expected, drawn in found}


def sections(dom: str) -> dict:
    """Each panel's key -> its HTML."""
    parts = re.split(r'(?=<section class="panel" data-panel=")', dom)
    return {re.match(r'<section class="panel" data-panel="([^"]+)"', p).group(1): p for p in parts[1:]}


@needs_chromium
def test_the_weekly_review_draws_every_panel_in_a_browser_without_errors(report):
    _, dom = report
    assert 'data-report-ready="true"' in dom
    assert re.search(r'id="report-errors"[^>]*data-count="0"', dom)
    panels = panel_attributes(dom)
    assert tuple(panels) == PANELS
    assert all(expected == drawn for _, expected, drawn in panels.values()), panels
    assert all(expected > 0 for key, (_, expected, _) in panels.items() if key not in ("silent", "got-worse")), panels


@needs_chromium
def test_the_review_lists_every_open_alert_workspace_by_workspace(report, built):
    _, dom = report
    open_now = built.query("select workspace_label, rule, subject from raw.alert_state where status = 'open'"
                           " order by 1, 2, 3")
    assert open_now and panel_attributes(dom)["alerts"][:2] == (len(open_now), len(open_now))
    listed = re.findall(r'<tr class="row"><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>', sections(dom)["alerts"])
    assert [tuple(unescape(cell) for cell in row) for row in listed] == open_now


@needs_chromium
def test_the_review_lists_what_got_worse_beyond_noise_in_the_last_complete_week(report, built):
    _, dom = report
    last_week = utc_today().subtract(days=utc_today().weekday() + 7)
    worse = built.query("select count(*) from analytics.weekly_changes where is_worse and is_beyond_noise"
                        f" and has_enough_n and week_start = '{last_week}'")[0][0]
    assert panel_attributes(dom)["got-worse"][1:] == (worse, worse)


def test_weekly_changes_count_each_mailbox_domain_and_esp_pairs_seeds_by_utc_week(built):
    counted: Counter = Counter()
    for _, day, sender, esp, sender_esp, landed in seed_sends(built.sim.placement):
        week = str(day.subtract(days=day.weekday()))
        for kind, subject in (("mailbox", sender), ("sending domain", sender.split("@")[1]),
                              ("ESP pair", f"{sender_esp} to {esp}")):
            counted[week, kind, subject, "n"] += 1
            counted[week, kind, subject, "inbox"] += landed == "inbox"
    truth = sorted((week, kind, subject, n, counted[week, kind, subject, "inbox"])
                   for (week, kind, subject, what), n in counted.items() if what == "n")
    assert built.query("""
        select cast(week_start as varchar), subject_kind, subject, n, hits from analytics.weekly_changes
        where measure = 'inbox rate of sent' order by 1, 2, 3""") == truth
    worse = built.query("select subject_kind, subject from analytics.weekly_changes"
                        " where measure = 'inbox rate of sent' and is_worse and is_beyond_noise")
    assert ("sending domain", built.sim.placement.burned.lower().split("@")[1]) in worse, "the burned mailbox's domain fell"


@needs_chromium
def test_a_screenshot_of_the_whole_review_is_kept(report):
    """One browser start for the page (about 3 s of CPU each), not one per panel."""
    html, _ = report
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--virtual-time-budget=10000", "--window-size=1200,7000", f"--screenshot={shot}",
                    html.as_uri()], capture_output=True, timeout=120)
    assert shot.stat().st_size > 50_000, "no screenshot"


@needs_chromium
def test_each_placement_panel_states_the_seeds_it_stands_on(report, built):
    _, dom = report
    panels = panel_attributes(dom)
    this_week = utc_today().start_of("week")
    sends = list(seed_sends(built.sim.placement))
    three_weeks = [s for s in sends if s[1] >= this_week.subtract(weeks=2)]
    assert panels["headline"][0] == len(three_weeks) > 0
    eight_weeks = [s for s in sends if s[1] >= this_week.subtract(weeks=7)]
    cells = {(day.start_of("week"), recipient_esp) for _, day, _, recipient_esp, _, _ in eight_weeks}
    assert panels["esp-weeks"][:2] == (len(eight_weeks), len(cells))


@needs_chromium
def test_the_review_lists_the_mailboxes_not_ready_and_the_domains_failing(report, built):
    _, dom = report
    panels = panel_attributes(dom)
    not_ready = built.query("select count(*) from analytics.mailbox_readiness where readiness_status = 'not ready'")[0][0]
    assert panels["not-ready"][:2] == (not_ready, not_ready) and not_ready > 0
    untested = built.query("select count(*) from analytics.mailbox_readiness where readiness_status = 'untested'")[0][0]
    assert f"{untested} mailboxes were never tested." in sections(dom)["not-ready"]
    assert panels["domains"][:2] == (len(built.sim.accounts.failing),) * 2
    assert all(domain in sections(dom)["domains"] for domain in built.sim.accounts.failing)


@needs_chromium
def test_campaign_outcomes_are_weekly_with_every_email_sent_counted(report, built):
    _, dom = report
    first = utc_today().start_of("week").subtract(weeks=7)
    sent = {key: n for key, n in truth_daily(built.sim.workspace).items() if key[1] >= first.isoformat()}
    weeks = {pendulum.parse(day).date().start_of("week") for _, day in sent}
    assert panel_attributes(dom)["campaigns"][:2] == (sum(sent.values()), 3 * len(weeks))


@needs_chromium
def test_no_chart_repeats_a_legend_entry_or_an_axis_title(report):
    _, dom = report
    for key, html in sections(dom).items():
        legend = re.findall(r'class="legendtext"[^>]*>([^<]+)<', html)
        titles = re.findall(r'class="(?:x|y|y2)title"[^>]*>([^<]+)<', html)
        assert len(legend) == len(set(legend)), (key, legend)
        assert len(titles) == len(set(titles)), (key, titles)


@needs_chromium
def test_the_report_freshness_table_matches_the_warehouse(report, built):
    _, dom = report
    shown = re.findall(
        r'<tr data-source="[^"]+" data-family="([^"]+)" data-status="([^"]+)"><td>([^<]*)</td><td>[^<]*</td>'
        r'<td class="status">[^<]*</td><td class="day">([^<]*)</td>', dom)
    truth = built.query("select family, freshness_status, workspace_label, coalesce(cast(last_loaded_day as varchar), '')"
                        " from analytics.source_freshness order by source, workspace_label, family")
    assert len(truth) == 7 and {status for _, status, _, _ in truth} == {"fresh"}
    assert shown == truth


def test_seed_coverage_counts_every_sent_seed_and_the_missing_ones(built):
    placement = built.sim.placement
    sent: Counter = Counter()
    received: Counter = Counter()
    for test in placement.tests:
        for record in placement.all_records(test.id):
            key = (test.id, record["timestamp_created_date"], record["sender_email"].lower())
            (received if placement.is_received(record) else sent)[key] += 1
    truth = sorted((*key, sent[key], received[key], sent[key] - received[key]) for key in sent)
    assert any(missing for *_, missing in truth), "the simulator's tests have seeds that never arrive"
    assert built.query("""
        select test_id, cast(sent_date as varchar), sender_email,
               sum(sent_count), sum(received_count), sum(missing_count)
        from analytics.seed_coverage group by 1, 2, 3 order by 1, 2, 3""") == truth


def test_seed_coverage_rates_are_over_sent_beside_the_received_only_inbox_rate(built):
    wrong = built.query("""
        select * from analytics.seed_coverage
        where abs(inbox_rate_of_sent - cast(inbox_count as double) / sent_count) > 1e-9
           or abs(missing_rate - cast(missing_count as double) / sent_count) > 1e-9
           or (received_count > 0 and abs(inbox_rate - cast(inbox_count as double) / received_count) > 1e-9)
           or (received_count = 0 and inbox_rate is not null)
           or inbox_count + category_count + spam_count <> received_count""")
    assert wrong == []


def test_placement_rates_gain_the_seeds_sent_and_missing_and_a_row_where_all_went_missing(built):
    coverage = built.query("""
        select test_id, cast(sent_date as varchar), esp, sum(sent_count), sum(missing_count)
        from analytics.seed_coverage group by 1, 2, 3 order by 1, 2, 3""")
    by_esp = built.query("""
        select test_id, cast(placement_date as varchar), esp, sent_count, missing_count
        from analytics.placement_rates_by_esp where source = 'instantly' and sent_count is not null order by 1, 2, 3""")
    assert by_esp == coverage
    assert built.query("select count(*) from analytics.placement_rates_by_esp"
                       " where source = 'campaign_cleaner' and sent_count is not null") == [(0,)]
    all_missing = built.query("""
        select count(*) from (
            select test_id, sent_date, esp from analytics.seed_coverage
            group by 1, 2, 3 having sum(received_count) = 0) as cells""")
    assert all_missing[0][0] > 0, "the simulator has cells whose every seed went missing"
    assert built.query("select count(*) from analytics.placement_rates_by_esp"
                       " where source = 'instantly' and total_count = 0 and missing_count = sent_count") == all_missing


RATES_OF_SENT = [
    "placement_rates_by_esp where source = 'instantly'", "placement_rates_by_geo where source = 'instantly'",
    "placement_rates_by_recipient_type where source = 'instantly'", "placement_rates_by_sender where source = 'instantly'",
    "placement_rates_by_esp_pair_weekly", "seed_coverage", "mailbox_placement_latest",
]


@pytest.mark.parametrize("mart", RATES_OF_SENT, ids=lambda mart: mart.split()[0])
def test_every_inbox_rate_of_sent_carries_its_95_percent_interval(built, mart):
    rows = built.query(f"""
        select inbox_rate_of_sent, inbox_rate_of_sent_low, inbox_rate_of_sent_high, sent_count,
               round(inbox_rate_of_sent * sent_count)
        from analytics.{mart}""")
    assert rows
    for rate, low, high, n, inbox in rows:
        if not n:
            assert (rate, low, high) == (None, None, None)
            continue
        assert (low, high) == pytest.approx(wilson(int(inbox), n)) and low <= rate <= high
    one_of_one = wilson(1, 1)
    assert one_of_one == pytest.approx((0.2065, 1.0), abs=1e-4)  # 100% of one seed says little


@pytest.mark.parametrize("mart, rate, inbox, n", [
    ("sender_health_daily", "warmup_inbox_rate", "warmup_landed_inbox", "warmup_landed"),
    ("sender_health_daily", "placement_inbox_rate", "placement_inbox", "placement_received"),
    ("sender_domain_health", "warmup_inbox_rate", "warmup_landed * warmup_inbox_rate", "warmup_landed"),
])
def test_sender_health_rates_carry_their_n_and_95_percent_interval(built, mart, rate, inbox, n):
    rows = built.query(f"select {rate}, {rate}_low, {rate}_high, {n}, round({inbox}) from analytics.{mart}")
    assert any(row[3] for row in rows)
    for value, low, high, count, successes in rows:
        if not count:
            assert (value, low, high) == (None, None, None)
            continue
        assert (low, high) == pytest.approx(wilson(int(successes), count)) and low <= value <= high


def test_a_weekly_change_is_beyond_noise_by_the_reviews_own_rule(built):
    rows = built.query("""
        select inbox_count, sent_count, round(previous_week_inbox_rate_of_sent * previous_week_sent_count),
               previous_week_sent_count, inbox_rate_of_sent_change_is_beyond_noise
        from analytics.placement_rates_by_esp_pair_weekly""")
    assert any(row[3] for row in rows), "no pair has a previous week to compare with"
    for inbox, sent, previous_inbox, previous_sent, beyond in rows:
        if not sent or not previous_sent:
            assert beyond is None
        else:
            assert beyond == beyond_noise(int(inbox), int(sent), int(previous_inbox), int(previous_sent))


def sends_per_run(placement) -> dict:
    """Per simulated test, per UTC day it sent seeds (a run): the seeds each sender sent."""
    runs: dict = {}
    for record, _, _ in sent_records(placement):
        day = runs.setdefault(record["test_id"], {}).setdefault(record["timestamp_created_date"], Counter())
        day[record["sender_email"].lower()] += 1
    return runs


def test_each_test_run_says_which_senders_sent_which_stayed_silent_and_which_were_foreign(built):
    placement = built.sim.placement
    runs = sends_per_run(placement)
    truth = []
    for test in placement.tests:
        configured = {sender.lower() for sender in test.configured}
        for day, senders in runs.get(test.id, {}).items():
            for sender in sorted(set(senders) | configured):
                status = "foreign" if sender not in configured else "ok" if senders[sender] else "silent"
                truth.append((test.id, day, sender, status, senders[sender]))
    assert {status for *_, status, _ in truth} == {"ok", "silent", "foreign"}, "the simulator has each kind"
    assert built.query("""
        select test_id, cast(run_date as varchar), sender_email, sender_status, sent_count
        from analytics.placement_test_senders order by 1, 2, 3""") == sorted(truth)


def test_the_silent_senders_panel_lists_each_listed_sender_that_sent_nothing_on_a_recent_run(built, tmp_path):
    placement = built.sim.placement
    runs = sends_per_run(placement)
    silent: dict = {}  # (test name, sender) -> the UTC days of its test's runs it sent nothing on
    for test in placement.tests:
        for day, senders in runs.get(test.id, {}).items():
            for sender in {listed.lower() for listed in test.configured} - set(senders):
                silent.setdefault((test.name, sender), []).append(day)
    assert silent, "the simulator has a listed sender that stays silent"
    today = max(max(days) for days in silent.values())  # the page as of the last silent run
    since = (date.fromisoformat(today) - timedelta(days=SILENT_DAYS - 1)).isoformat()
    truth = sorted(("default", name, sender, str(len(recent)), max(recent)) for (name, sender), days in silent.items()
                   if (recent := [day for day in days if day >= since]))
    page = write_report(built.destination(), tmp_path / "report.html", date.fromisoformat(today)).path.read_text()
    listed = re.findall(r'<tr class="row"><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(\d+)</td><td>(.*?)</td></tr>',
                        sections(page)["silent"])
    assert truth and sorted(listed) == truth


GEOS = {1: "United States", 2: "Italy", 3: "Germany", 4: "France"}
"""Instantly's geo codes as the API reference names them."""


def test_the_worst_cells_panel_lists_each_instantly_tests_worst_cells_of_its_latest_run(built, tmp_path):
    seeds = {seed.email: seed for seed in SEEDS}
    names = {test.id: test.name for test in built.sim.placement.tests}
    runs: dict = {}  # test -> UTC day -> cell -> [seeds sent, in the inbox]
    for record, _, landed in sent_records(built.sim.placement):
        seed = seeds[record["recipient_email"]]
        cell = f"{GEOS[seed.geo]} / {seed.esp_label} / {seed.type_label}"
        counts = runs.setdefault(record["test_id"], {}).setdefault(record["timestamp_created_date"], {}).setdefault(
            cell, [0, 0])
        counts[0] += 1
        counts[1] += landed == "inbox"
    truth = set()
    for test_id, days in runs.items():
        day = max(days)  # the test's latest run: the last UTC day it sent seeds
        rankable = [(wilson(inbox, sent)[1], inbox / sent, cell, inbox, sent)
                    for cell, (sent, inbox) in days[day].items() if sent >= 3]  # the dbt var verdict_min_seeds
        for high, rate, cell, inbox, sent in sorted(rankable)[:WORST_CELLS_PER_TEST]:
            low = wilson(inbox, sent)[0]
            truth.add(("default", "Instantly", names[test_id], day, cell, f"{percent(rate)} of sent",
                       f"{percent(low)}-{percent(high)}", str(sent)))
    page = write_report(built.destination(), tmp_path / "report.html", utc_today()).path.read_text()
    listed = {row for row in re.findall(r'<tr class="row">' + "<td>(.*?)</td>" * 8 + "</tr>", sections(page)["worst-cells"])
              if row[1] == "Instantly"}
    assert truth and listed == truth


def test_esp_pairs_by_week_count_every_sent_seed_with_the_previous_week_beside(built):
    weeks: dict = {}
    for _, day, _, recipient_esp, sender_esp, landed in seed_sends(built.sim.placement):
        cell = weeks.setdefault((day.start_of("week"), sender_esp, recipient_esp), Counter())
        cell["sent"] += 1
        cell[landed or "missing"] += 1
    assert len({sender for _, sender, _ in weeks}) > 1, "the simulator's tests send from several ESPs"
    truth = sorted(
        (str(week), sender, recipient, c["sent"], c["missing"], c["inbox"], c["spam"],
         weeks.get((week.subtract(weeks=1), sender, recipient), {}).get("sent"))
        for (week, sender, recipient), c in weeks.items())
    assert built.query("""
        select cast(week_start as varchar), sender_esp, recipient_esp, sent_count, missing_count, inbox_count,
               spam_count, previous_week_sent_count
        from analytics.placement_rates_by_esp_pair_weekly order by 1, 2, 3""") == truth


def readiness(runs: dict, mailbox: str, today: pendulum.Date, window_days: int = 14) -> str:
    """The mailbox's readiness from its seed sends (`runs`: mailbox -> ESP -> (day, test) -> counts):
    judged on its latest run at each ESP within the window; short beyond doubt on 3 seeds or more
    whose whole 95% interval is below 0.9."""
    latest = {esp: max(by_run) for esp, by_run in runs.get(mailbox, {}).items()}
    recent = [runs[mailbox][esp][run] for esp, run in latest.items() if (today - run[0]).days < window_days]
    if not latest:
        return "untested"
    if not recent:
        return "stale"
    short = [c for c in recent if c["inbox"] / c["sent"] < 0.9]
    if not short:
        return "ready"
    return "not ready" if any(c["sent"] >= 3 and wilson(c["inbox"], c["sent"])[1] < 0.9 for c in short) else "unsure"


def seed_runs(placement) -> dict:
    runs: dict = {}
    for test_id, day, sender, recipient_esp, _, landed in seed_sends(placement):
        cell = runs.setdefault(sender, {}).setdefault(recipient_esp, {}).setdefault((day, test_id), Counter())
        cell["sent"] += 1
        cell["inbox"] += landed == "inbox"
    return runs


def test_a_mailbox_is_ready_only_when_its_latest_test_at_every_esp_within_the_window_meets_the_threshold(built):
    runs = seed_runs(built.sim.placement)
    mailboxes = {email.lower() for email in built.sim.accounts.emails} | set(runs)
    today = utc_today()
    truth = [(mailbox, readiness(runs, mailbox, today), len(runs.get(mailbox, {}))) for mailbox in sorted(mailboxes)]
    assert {"ready", "not ready", "untested"} <= {status for _, status, _ in truth}, (
        "the simulator has a ready mailbox, one below the threshold and an untested one")
    assert built.query("select mailbox_email, readiness_status, tested_esp_count from analytics.mailbox_readiness"
                       " order by 1") == truth
    reasons = dict(built.query("select mailbox_email, readiness_reason from analytics.mailbox_readiness"))
    assert all(reasons[m].startswith(f"{status}: ") for m, status, _ in truth)
    assert all("no inbox placement test" in reasons[m] for m, status, _ in truth if status == "untested")


def test_each_mailboxs_latest_test_knows_its_age_in_utc_days_and_whether_it_is_within_the_window(built):
    runs = seed_runs(built.sim.placement)
    today = utc_today()
    truth = sorted((mailbox, esp, (today - max(by_run)[0]).days, (today - max(by_run)[0]).days < 14)
                   for mailbox, by_esp in runs.items() for esp, by_run in by_esp.items())
    assert built.query("select mailbox_email, recipient_esp, test_age_days, is_within_test_window"
                       " from analytics.mailbox_placement_latest order by 1, 2") == truth


def test_mailbox_readiness_shows_the_latest_warmup_score_and_domain_checks(built):
    accounts = built.sim.accounts
    truth = sorted((a.email, float(accounts.health(a.email)["health_score"]), a.domain not in accounts.failing)
                   for a in accounts.accounts)
    assert built.query("select mailbox_email, warmup_health_score, dkim_pass from analytics.mailbox_readiness"
                       " where warmup_health_score is not null order by 1") == truth


def test_the_tag_bridge_puts_each_tag_on_its_campaigns_and_mailboxes(built):
    tags = built.sim.tags
    kinds = {1: "mailbox", 2: "campaign"}  # the simulator's reading of resource_type
    truth = sorted((tags.tags[m.tag_id].label, kinds[m.resource_type], m.resource_id.lower())
                   for m in tags.mappings.values())
    assert built.query("""
        select tag_label, resource_kind, coalesce(campaign_id, mailbox_email)
        from analytics.custom_tag_assignments order by 1, 2, 3""") == truth
    several = built.query("""
        select count(*) from (select campaign_id from analytics.custom_tag_assignments
                              where campaign_id is not null group by 1 having count(*) > 1) as c""")
    assert several[0][0] > 0, "some campaigns carry two tags"
