"""Fixtures: one simulator for the session, a fresh warehouse per test, and the truth to compare."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Tuple

import duckdb
import pytest

from pipelines import runner
from pipelines.campaign_cleaner import campaign_cleaner
from pipelines.common.client import RUN_FAILURES
from pipelines.instantly import instantly
from pipelines.simulator.instantly import instantly_app
from pipelines.simulator.server import DEFAULT_API_KEY, Simulator, SimulatorState
from pipelines.simulator.campaign_cleaner import CleanerWorkspace
from pipelines.simulator.placement import PlacementWorkspace
from pipelines.simulator.workspace import Workspace


@dataclass
class Sim:
    url: str
    state: SimulatorState
    workspace: Workspace
    placement: PlacementWorkspace
    cleaner: CleanerWorkspace
    api_key: str = DEFAULT_API_KEY


@pytest.fixture(scope="session")
def simulator():
    workspace = Workspace(campaigns=6, days=20, deleted=1, drafts=1)
    placement = PlacementWorkspace(tests=4, days=20)
    cleaner = CleanerWorkspace()
    state = SimulatorState()
    with Simulator(instantly_app(workspace, state, placement, cleaner)) as server:
        yield Sim(server.url, state, workspace, placement, cleaner)


@pytest.fixture
def sim(simulator: Sim) -> Sim:
    """The session's simulator with no faults and an empty request log."""
    simulator.state.reset()
    return simulator


class Warehouse:
    """A DuckDB warehouse and pipeline state in a temp dir, loaded from the simulator."""

    def __init__(self, root: Path, sim: Sim) -> None:
        self.root = root
        self.sim = sim
        self.db = root / "warehouse.duckdb"
        self.pipelines_dir = root / "pipelines"

    def pipeline(self):
        return runner.make_pipeline(pipelines_dir=str(self.pipelines_dir), duckdb_file=str(self.db))

    def source(self, **settings: Any):
        ws = self.sim.workspace
        defaults = dict(
            api_key=self.sim.api_key,
            base_url=self.sim.url,
            start_date=ws.first_day.isoformat(),
            end_date=ws.today.isoformat(),
            max_requests_per_second=100,
        )
        return instantly(**{**defaults, **settings})

    def load(self, **settings: Any) -> runner.RunReport:
        return runner.run(self.pipeline(), [self.source(**settings)])

    def load_seed_tests(self, **settings: Any) -> runner.RunReport:
        defaults = dict(api_key=self.sim.cleaner.api_key, base_url=self.sim.url, max_requests_per_second=50)
        RUN_FAILURES.clear()
        return runner.run(self.pipeline(), [campaign_cleaner(**{**defaults, **settings})])

    def query(self, sql: str) -> List[tuple]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(sql).fetchall()

    def tables(self) -> Dict[str, List[tuple]]:
        """Every raw table's rows without dlt's load columns, sorted: for whole-warehouse equality."""
        names = [r[0] for r in self.query(
            "select table_name from information_schema.tables where table_schema = 'raw'"
            " and table_name not like '_dlt%' order by 1")]
        out = {}
        for name in names:
            cols = [r[0] for r in self.query(
                f"select column_name from information_schema.columns where table_schema = 'raw'"
                f" and table_name = '{name}' and column_name not like '_dlt%' order by 1")]
            select = ", ".join(f'"{c}"' for c in cols) or "count(*)"
            out[name] = sorted(self.query(f'select {select} from raw."{name}"'), key=repr)
        return out


@pytest.fixture
def warehouse(tmp_path: Path, sim: Sim) -> Warehouse:
    return Warehouse(tmp_path, sim)


def truth_daily(ws: Workspace, first=None, last=None) -> Dict[Tuple[str, str], int]:
    """(campaign_id, date) -> sent, for every campaign-day with activity."""
    out = {}
    for c in ws.campaigns:
        for day in ws.days():
            if (first and day < first) or (last and day > last):
                continue
            row = ws.daily_row(c.id, day)
            if row:
                out[(c.id, day.isoformat())] = row["sent"]
    return out


def truth_steps(ws: Workspace) -> Dict[Tuple[str, str, str, str], int]:
    """(campaign_id, date, step, variant) -> sent, nulls as the pipeline's 'unknown'."""
    out = {}
    for c in ws.campaigns:
        for day in ws.days():
            for row in ws.steps(c.id, [day], True):
                key = (c.id, day.isoformat(), row["step"] or "unknown", row["variant"] or "unknown")
                out[key] = row["sent"]
    return out


def duplicates(wh: Warehouse, table: str, key: str) -> int:
    return wh.query(f"select count(*) - count(distinct ({key})) from raw.{table}")[0][0]
