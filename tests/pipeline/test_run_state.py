"""A run's local state belongs to one warehouse, the cursors never freeze, a range can be
re-pulled on demand, and a load an earlier run left pending is finished, not mistaken for this run."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from dlt.common.storages import NormalizeStorage

from helpers import ROOT, Warehouse, truth_daily
from pipelines.instantly import settings

STEPS = settings.CAMPAIGN_ANALYTICS_STEPS


def cursor(wh: Warehouse) -> str:
    pipeline = wh.pipeline()
    pipeline.sync_destination()
    resources = pipeline.state["sources"]["instantly"]["resources"]
    return resources["instantly_campaign_analytics_daily"]["incremental"]["date"]["last_value"]


def test_a_backfill_re_pulls_days_the_cursor_has_passed_and_leaves_the_cursor(warehouse):
    ws = warehouse.sim.workspace
    warehouse.load(start_date=ws.today.subtract(days=5).isoformat())
    before = cursor(warehouse)
    assert warehouse.daily_sent() != truth_daily(ws)

    warehouse.sim.state.reset()
    warehouse.load(start_date=ws.today.subtract(days=5).isoformat(), backfill=f"{ws.first_day}:{ws.today.subtract(days=6)}")
    asked = {r.param("start_date")[:10] for r in warehouse.sim.state.requests(STEPS)}
    assert asked and max(asked) <= ws.today.subtract(days=6).isoformat()
    assert warehouse.daily_sent() == truth_daily(ws)
    assert cursor(warehouse) == before


def test_a_backfill_range_must_be_days_in_order(warehouse):
    ws = warehouse.sim.workspace
    try:
        warehouse.source(backfill=f"{ws.today}:{ws.first_day}")
    except Exception as exc:  # noqa: BLE001
        assert "--backfill" in str(exc) and "before the first" in str(exc)
    else:
        raise AssertionError("a reversed range was accepted")


def test_a_load_left_pending_is_finished_first_and_this_run_still_extracts(warehouse):
    pipeline = warehouse.pipeline()
    pipeline.extract(warehouse.source(), loader_file_format="jsonl")
    pipeline.normalize()  # and then the load failed (a locked file) or the run was killed
    assert pipeline.has_pending_data

    warehouse.sim.state.reset()
    report = warehouse.load()
    assert report.pending_rows and report.pending_rows > 0
    assert sum(report.requests.values()) > 0 and report.total_rows > 0
    assert warehouse.daily_sent() == truth_daily(warehouse.sim.workspace)
    assert not warehouse.pipeline().has_pending_data


def test_a_run_killed_while_dlt_deleted_a_normalised_package_finishes_that_package(warehouse, tmp_path):
    """dlt normalises a package, commits it, then deletes its extracted copy: a run killed during
    the delete leaves part of that copy, which the next run must neither normalise nor fail on."""
    pipeline = warehouse.pipeline()
    pipeline.extract(warehouse.source(), loader_file_format="jsonl")
    [load_id] = pipeline.list_extracted_load_packages()
    extracted = Path(pipeline.working_dir) / "normalize" / NormalizeStorage.EXTRACTED_FOLDER / load_id
    kept = shutil.copytree(extracted, tmp_path / "extracted-copy")
    pipeline.normalize()
    shutil.copytree(kept, extracted)  # the copy as the killed delete left it: its jobs gone first
    shutil.rmtree(extracted / "new_jobs")

    warehouse.sim.state.reset()
    report = warehouse.load()
    assert report.pending_rows and report.pending_rows > 0
    assert warehouse.daily_sent() == truth_daily(warehouse.sim.workspace)
    assert not warehouse.pipeline().has_pending_data


def test_the_readme_says_where_dlt_keeps_its_working_files(tmp_path):
    """Without DLT_DATA_DIR, dlt picks ~/.dlt, or /var/dlt for root: the README names both."""
    env = {k: v for k, v in os.environ.items() if k != "DLT_DATA_DIR"}
    shown = subprocess.run(
        [sys.executable, "-c", "from pipelines.engine.warehouse import resolve; print(resolve().pipelines_dir())"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    expected = "/var/dlt/pipelines/" if os.geteuid() == 0 else str(Path("~/.dlt/pipelines/").expanduser())
    assert shown.stdout.startswith(expected), shown.stdout + shown.stderr
    row = next(line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `DLT_DATA_DIR`"))
    assert "`~/.dlt`" in row and "`/var/dlt`" in row
