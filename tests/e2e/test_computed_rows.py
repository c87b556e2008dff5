"""Rows our own code computes (the run ledger, the alert state) are never lost to a failed write:
the write after it, in the next run, writes the failed run's rows and its own.

The CLI runs twice on one warehouse: first with a family failing (its endpoint answers 500) and
every load of the ledger's and the alert state's pipelines failing as on a full disk, then as usual.
"""

import re
from pathlib import Path
from typing import List

import duckdb
import pytest

from helpers import env_for, failing_loads, run_cli, run_started_fresh
from pipelines.engine import ledger
from pipelines.outputs.alerts import state

TAGS_PATH = "/api/v2/custom-tag-mappings"


def rows(db: Path, sql: str) -> List[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def writes_lost_once(simulator, tmp_path_factory):
    """Run 1: the tags family fails and the ledger's and the alert state's writes fail; run 2:
    nothing fails."""
    root = tmp_path_factory.mktemp("writes-lost")
    env = env_for(simulator, root)
    simulator.state.reset(failing_path=TAGS_PATH)
    first = run_started_fresh({**env, **failing_loads(root, ledger.PIPELINE, state.PIPELINE)})
    simulator.state.reset()
    second = run_cli(env)
    return first, second, root / "warehouse.duckdb"


def error_lines(run, about: str) -> List[str]:
    return [line for line in run.stderr.splitlines() if about in line]


def test_a_failed_ledger_write_is_one_error_line_naming_the_ledger(writes_lost_once):
    first, _, _ = writes_lost_once
    assert first.returncode == 1
    [line] = error_lines(first, "run ledger")
    assert line.startswith("error: run ledger not written") and "No space left on device" in line


def test_a_failed_alert_state_write_is_one_error_line_naming_the_state(writes_lost_once):
    first, _, _ = writes_lost_once
    [line] = error_lines(first, "alert state")
    assert line.startswith("error: alert state not written")


def test_the_summary_counts_what_committed_when_the_ledger_write_failed(writes_lost_once):
    first, _, _ = writes_lost_once
    summary = first.stdout.splitlines()[-1]
    loaded = re.match(r"loaded ([\d,]+) rows into (\d+) tables with ([\d,]+) requests", summary)
    assert loaded and all(int(n.replace(",", "")) > 0 for n in loaded.groups()), summary
    assert re.search(r"families: \d+ failed, \d+ ok\)", summary) and "run ledger not written" in summary


def test_the_next_run_writes_the_failed_runs_ledger_rows_and_its_own(writes_lost_once):
    _, second, db = writes_lost_once
    assert second.returncode == 0, second.stderr
    runs = rows(db, "select run_id, count(*) filter (where family <> 'dbt'), count(*) filter (where family = 'dbt'),"
                    " count(*) filter (where status = 'failed') from raw.run_ledger group by 1 order by 1")
    assert len(runs) == 2, runs
    (_, families_1, dbt_1, failed_1), (_, families_2, dbt_2, failed_2) = runs
    assert families_1 == families_2 > 1 and dbt_1 == dbt_2 == 1
    assert failed_1 >= 1 and failed_2 == 0


def test_no_alert_says_a_family_failed_after_a_clean_run(writes_lost_once):
    _, _, db = writes_lost_once
    assert rows(db, "select family from analytics.source_freshness where last_status <> 'ok'") == []
    assert rows(db, f"select subject from raw.{state.STATE} where rule = 'run_failed' and status = 'open'") == []


def test_alerts_whose_state_write_failed_are_found_again_not_opened_twice(writes_lost_once):
    _, _, db = writes_lost_once
    alerts = rows(db, f"select rule, subject, count(*), min(first_seen_at) < min(last_seen_at) from raw.{state.STATE}"
                      " where status = 'open' group by 1, 2")
    assert alerts, "the simulated workspace raises alerts"
    assert all(count == 1 and seen_again for _, _, count, seen_again in alerts), alerts
