"""A run's local state belongs to one warehouse, and a start date is checked before any request:
as cron runs the CLI."""

import pendulum

from helpers import Warehouse, env_for, run_cli, truth_daily


def test_two_warehouses_on_one_host_never_share_local_state(sim, tmp_path):
    """Backfill X to a day, run Y twice, then run X: X still gets every day."""
    today = sim.workspace.today
    host = dict(DLT_DATA_DIR=str(tmp_path / "dlt"))  # one user's dlt directory for both
    x = env_for(sim, tmp_path / "x", **host, SOURCES__INSTANTLY__END_DATE=today.subtract(days=10).isoformat())
    y = env_for(sim, tmp_path / "y", **host)
    assert run_cli(x, "--skip-dbt").returncode == 0
    for _ in range(2):
        assert run_cli(y, "--skip-dbt").returncode == 0
    x["SOURCES__INSTANTLY__END_DATE"] = today.isoformat()
    assert run_cli(x, "--skip-dbt").returncode == 0
    assert Warehouse(tmp_path / "x", sim).daily_sent() == truth_daily(sim.workspace)


def test_a_start_date_after_today_is_refused_with_one_line(sim, tmp_path):
    tomorrow = pendulum.now("UTC").add(days=1).date().isoformat()
    result = run_cli(env_for(sim, tmp_path, SOURCES__INSTANTLY__START_DATE=tomorrow), "--skip-dbt")
    assert result.returncode == 1
    assert result.stderr.strip().startswith(f"error: SOURCES__INSTANTLY__START_DATE {tomorrow} is after today")
    assert sim.state.log == []
