"""The dbt project builds and tests cleanly on a simulator-loaded warehouse, and its tests bite."""

import duckdb
import pytest

from pipelines.transform import TransformError, dbt_build


@pytest.fixture
def loaded(warehouse):
    warehouse.load()
    return warehouse


def test_dbt_build_passes_on_a_loaded_warehouse(loaded, tmp_path):
    dbt_build(str(loaded.db), target_path=str(tmp_path / "target"))
    staged = loaded.query("select count(*) from staging.stg_instantly__campaign_analytics_daily")
    raw = loaded.query("select count(*) from raw.instantly_campaign_analytics_daily")
    assert staged == raw and raw[0][0] > 0
    assert loaded.query("select count(*) from staging.stg_instantly__campaign_analytics_steps"
                        " where step is null") != [(0,)]


def test_dbt_build_fails_when_steps_no_longer_add_up_to_daily(loaded, tmp_path):
    with duckdb.connect(str(loaded.db)) as con:
        con.execute("update raw.instantly_campaign_analytics_steps set sent = sent + 1"
                    " where step = '1' and variant = '0'")
    with pytest.raises(TransformError):
        dbt_build(str(loaded.db), target_path=str(tmp_path / "target"))
