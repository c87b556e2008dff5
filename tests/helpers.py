"""What the tests share: the simulator handle, throwaway warehouses, the simulator's truth to
compare loads against, and the CLI as cron runs it."""

import fcntl
import functools
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import duckdb
import pendulum

from forkserver import ForkServer
from pipelines.campaign_cleaner import campaign_cleaner
from pipelines.common.client import ApiClient
from pipelines.common.rate_limit import API_LIMIT, RateLimiter, SharedBudget
from pipelines.common.retry import RetryPolicy
from pipelines.common.tracking import RunStats
from pipelines.engine import runner
from pipelines.engine.outcome import RunReport
from pipelines.engine.warehouse import our_columns_sql, resolve
from pipelines.instantly import instantly
from pipelines.instantly.campaigns import has_counts
from pipelines.instantly.settings import DEFAULT_WORKSPACE_LABEL
from pipelines.instantly.workspaces import WorkspaceKey, WorkspaceRun
from simulator.accounts import AccountsWorkspace
from simulator.agency import WorkspaceGroup, agency_app
from simulator.app import simulator_app
from simulator.campaign_cleaner import CleanerWorkspace
from simulator.compare import RUN_RECORDS
from simulator.placement import SEEDS, PlacementWorkspace
from simulator.server import DEFAULT_API_KEY, Simulator, SimulatorState
from simulator.tags import TagsWorkspace
from simulator.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
UNTHROTTLED = 5000
"""The tests' simulators admit this many requests a second (Instantly: 100), so in-process loads,
whose limiter never waits (`InstantBudget`), are not held to the production pace. CLI runs keep
the simulator's limit (`API_LIMIT_PER_SECOND`); tests of throttling set the simulator's faults."""


class InstantBudget(SharedBudget):
    """A workspace budget whose limiter's clock jumps a second at every look, so it never waits:
    tests check what is asked, not how fast (`make bench` measures pace)."""

    def limiter(self, per_second: float, limit: float = API_LIMIT) -> RateLimiter:
        return RateLimiter(per_second, clock=itertools.count().__next__, limit=limit)
RECEIVED = "coalesce(record_type, case when is_spam is not null then 2 end) = 2"
"""SQL: a raw placement record of a seed email that arrived (`record_type` 2; records from before
`record_type` existed are the received ones when they carry `is_spam`)."""
EVENING_UTC = pendulum.now("UTC").subtract(days=1).replace(hour=18, minute=21, second=0, microsecond=0)
"""A seed test submitted then is already on the next day at UTC+14 and still on it at UTC-8."""
FAST = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.05)


@dataclass
class Sim:
    url: str
    state: SimulatorState
    workspace: Workspace
    placement: PlacementWorkspace
    cleaner: CleanerWorkspace
    accounts: AccountsWorkspace
    tags: TagsWorkspace
    api_key: str = DEFAULT_API_KEY


@contextmanager
def serving(workspace: Workspace, placement: PlacementWorkspace, accounts: AccountsWorkspace) -> Iterator[Sim]:
    """A simulator of these workspaces (and Campaign Cleaner) on a free loopback port."""
    cleaner = CleanerWorkspace()
    tags = TagsWorkspace.of(workspace, accounts)
    state = SimulatorState(rate_limit=UNTHROTTLED)
    state.limit.per_minute = 60 * UNTHROTTLED
    with Simulator(simulator_app(workspace, state, placement, cleaner, accounts, tags)) as server:
        yield Sim(server.url, state, workspace, placement, cleaner, accounts, tags)


@contextmanager
def holding(code: str, env: dict, ready: str) -> Iterator[subprocess.Popen]:
    """Another process running `code` until the block ends; it prints `ready` once it holds
    what it was started to hold (a lock, an open file)."""
    holder = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == ready
        yield holder
    finally:
        holder.kill()
        holder.wait()


RUN_LOCK_HOLDER = (
    "import os, time; from pipelines.engine.lock import run_lock; from pipelines.engine.warehouse import resolve\n"
    "with run_lock(resolve(os.environ.get('DESTINATION_TYPE', 'duckdb')), 'run'):\n"
    "    print('locked', flush=True); time.sleep(60)"
)


@dataclass
class CronRun:
    """A CLI run as cron starts it: its warehouse, its environment and what it printed."""

    warehouse: "Warehouse"
    env: Dict[str, str]
    result: subprocess.CompletedProcess


Done = subprocess.CompletedProcess


def built_once(factory: Any, name: str, build: Callable[[Path], Done]) -> Tuple[Path, Done]:
    """A warehouse built once for the whole test run and read by every test process (pytest-xdist's
    workers): the first to ask runs `build` in a directory beside theirs, under a file lock; the
    others wait for it and get the same directory and what the build printed. A build that fails
    leaves no record, so the next to ask builds again (and fails the same way)."""
    base = factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root, record = shared / f"built-{name}", shared / f"built-{name}.json"
    with open(shared / f"built-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir()
            done = build(root)
            assert done.returncode == 0, done.stdout + done.stderr
            record.write_text(json.dumps([done.args, done.returncode, done.stdout, done.stderr]))
    return root, Done(*json.loads(record.read_text()))


class Warehouse:
    """A DuckDB warehouse and pipeline state in a temp dir, loaded from the simulator."""

    def __init__(self, root: Path, sim: Sim) -> None:
        self.root = root
        self.sim = sim
        self.db = root / "warehouse.duckdb"
        self.pipelines_dir = root / "pipelines"

    def pipeline(self):
        return runner.make_pipeline(self.destination())

    def destination(self):
        """The warehouse as the product sees it, its working state in this temp dir."""
        return replace(resolve("duckdb", duckdb_file=str(self.db)), state_dir=self.pipelines_dir)

    def source(self, run: Optional[RunStats] = None, **settings: Any):
        """The Instantly source on the simulator's single key, counting in `run`, on a budget
        that never waits."""
        ws = self.sim.workspace
        defaults = dict(
            api_key=self.sim.api_key,
            base_url=self.sim.url,
            start_date=ws.first_day.isoformat(),
            end_date=ws.today.isoformat(),
            max_requests_per_second=100,
        )
        settings = {**defaults, **settings}
        key = WorkspaceKey(DEFAULT_WORKSPACE_LABEL, settings["api_key"])
        return instantly(**settings, run=WorkspaceRun(key, run or RunStats(), budget=InstantBudget()))

    def load(self, *resources: str, **settings: Any) -> RunReport:
        """One run of the Instantly source: every resource, or only `resources`."""
        def make(run: Any) -> Any:
            source = self.source(run=run, **settings)
            return source.with_resources(*resources) if resources else source
        return runner.run(self.pipeline(), make)

    def load_seed_tests(self, **settings: Any) -> RunReport:
        defaults = dict(api_key=self.sim.cleaner.api_key, base_url=self.sim.url, max_requests_per_second=50)
        return runner.run(self.pipeline(), lambda run: campaign_cleaner(run=run, **{**defaults, **settings}))

    def daily_sent(self) -> Dict[Tuple[str, str], int]:
        """(campaign, UTC day) -> sent, as loaded: what `truth_daily` gives from the simulator."""
        rows = self.query("select campaign_id, cast(date as varchar), sent from raw.instantly_campaign_analytics_daily")
        return {(campaign, day): sent for campaign, day, sent in rows}

    def query(self, sql: str) -> List[tuple]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(sql).fetchall()

    def tables(self) -> Dict[str, List[tuple]]:
        """Every raw table's rows without dlt's load columns, sorted: for whole-warehouse equality."""
        columns: Dict[str, List[str]] = {}
        for table, column in self.query(our_columns_sql(("raw",))):
            if table not in RUN_RECORDS:
                columns.setdefault(table.removeprefix("raw."), []).append(f'"{column}"')
        return {
            name: sorted(self.query(f'select {", ".join(cols)} from raw."{name}"'), key=repr)
            for name, cols in sorted(columns.items())
        }


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
    """(campaign_id, date, step, variant) -> sent, nulls as the pipeline's 'unknown'; rows of
    nothing but zeros are not loaded."""
    out = {}
    for c in ws.campaigns:
        for day in ws.days():
            for row in filter(has_counts, ws.steps(c.id, [day], True)):
                key = (c.id, day.isoformat(), row["step"] or "unknown", row["variant"] or "unknown")
                out[key] = row["sent"]
    return out


def duplicates(wh: Warehouse, table: str, key: str) -> int:
    return wh.query(f"select count(*) - count(distinct ({key})) from raw.{table}")[0][0]


def truth_records(pw, last=None):
    return {
        r["id"]
        for t in pw.tests
        for r in pw.all_records(t.id)
        if last is None or r["timestamp_created_date"] <= last.isoformat()
    }


def truth_cells(pw):
    """(test_id, date, geo, type, esp) -> (count, spam, category) over received records."""
    cells = {}
    for t in pw.tests:
        for r in pw.all_records(t.id):
            if not pw.is_received(r):
                continue
            key = (t.id, r["timestamp_created_date"], r["recipient_geo"], r["recipient_type"], r["recipient_esp"])
            n, spam, category = cells.get(key, (0, 0, 0))
            cells[key] = (n + 1, spam + bool(r["is_spam"]),
                          category + (bool(r["has_category"]) and not r["is_spam"]))
    return cells


def client_for(sim, key=None, retry=FAST) -> ApiClient:
    key = key or sim.api_key
    return ApiClient(
        "Instantly", sim.url, {"Authorization": f"Bearer {key}"}, RateLimiter(100), 4,
        retry=retry, key_hint="Check SOURCES__INSTANTLY__API_KEY", secret=key,
    )


def env_for(sim, root: Path, **extra: str) -> dict:
    ws = sim.workspace
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
    env.update(
        PYTHONPATH=str(ROOT),  # for runs started from another directory
        DLT_DATA_DIR=str(root / "dlt"),
        DESTINATION__DUCKDB__CREDENTIALS=str(root / "warehouse.duckdb"),
        SOURCES__INSTANTLY__API_KEY=sim.api_key,
        SOURCES__INSTANTLY__BASE_URL=sim.url,
        SOURCES__INSTANTLY__START_DATE=ws.first_day.isoformat(),
        SOURCES__INSTANTLY__END_DATE=ws.today.isoformat(),
        SOURCES__INSTANTLY__API_LIMIT_PER_SECOND=str(UNTHROTTLED),  # the simulator's, not Instantly's
        SOURCES__INSTANTLY__MAX_REQUESTS_PER_SECOND=str(UNTHROTTLED),
        LOG_DIR=str(root / "logs"),
    )
    env.update(extra)
    return env


def cleaner_settings(sim) -> Dict[str, str]:
    """`env_for` extras that turn Campaign Cleaner on against this simulator (its key and address)."""
    return dict(SOURCES__CAMPAIGN_CLEANER__API_KEY=sim.cleaner.api_key, SOURCES__CAMPAIGN_CLEANER__BASE_URL=sim.url)


@functools.cache
def fork_server() -> ForkServer:
    """This test process's fork server, started by its first CLI run."""
    return ForkServer()


def run_command(command: str, env: dict, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`python -m pipelines COMMAND ARGS` as cron runs it: a process of its own (forked from one
    that imported the CLI, `forkserver`), no terminal, output captured."""
    return fork_server().run([command, *args], env, cwd, timeout=300)


def run_started_fresh(env: dict, *args: str) -> subprocess.CompletedProcess:
    """`python -m pipelines run ARGS` in a new interpreter, for a run whose start is part of the
    test (a `sitecustomize` in its PYTHONPATH)."""
    return subprocess.run([sys.executable, "-m", "pipelines", "run", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def run_cli(env: dict, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`python -m pipelines run ARGS` as cron runs it."""
    return run_command("run", env, *args, cwd=cwd)


def run_report(env: dict, output: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`python -m pipelines report --output OUTPUT`."""
    return run_command("report", env, "--output", str(output), cwd=cwd)


def run_seed_tests(env: dict, *args: str) -> subprocess.CompletedProcess:
    return run_command("seed-tests", env, *args)


KEYS = {"acme": "key-of-acme", "globex": "key-of-globex"}
ADMIN_KEY = "admin-key-of-the-agency"


class Agency:
    """Agency mode's simulator: two client workspaces (one key each) behind one address, sharing a
    mailbox, and a workspace group whose admin key lists both; per label, its workspace data and
    server state."""

    def __init__(self) -> None:
        self.workspaces: Dict[str, Workspace] = {}
        self.states: Dict[str, SimulatorState] = {}
        apps = {}
        for n, (label, key) in enumerate(KEYS.items()):
            accounts = AccountsWorkspace(accounts=3, days=15)  # the same mailboxes in both
            self.workspaces[label] = Workspace(campaigns=4, days=15, seed=20 + n)
            self.states[label] = SimulatorState(api_key=key)
            apps[key] = simulator_app(
                self.workspaces[label], self.states[label],
                PlacementWorkspace(
                    tests=2, days=15, seed=20 + n, senders=accounts.emails[:2], sender_esps=accounts.sender_esps(),
                ),
                None, accounts,
            )
        self.group = WorkspaceGroup(ADMIN_KEY, {
            self.workspaces[label].id: {"name": self.workspaces[label].name, "key": key} for label, key in KEYS.items()
        })
        self.server = Simulator(agency_app(apps, self.group))

    def env(self, root: Path, workspaces: Dict[str, str], **extra: str) -> dict:
        env = env_for(self, root, SOURCES__INSTANTLY__WORKSPACES=json.dumps(workspaces), **extra)
        del env["SOURCES__INSTANTLY__API_KEY"]
        if not workspaces:
            del env["SOURCES__INSTANTLY__WORKSPACES"]
        return env

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def workspace(self) -> Workspace:
        """The dates every workspace shares (for `env_for`)."""
        return self.workspaces["acme"]

    api_key = "unused: agency mode"


ESP_LABELS = {seed.esp: seed.esp_label for seed in SEEDS}


def seed_sends(placement):
    """Every seed a simulated test sent: (test, UTC day, sender, seed ESP, sender ESP, where it
    landed: inbox, category, spam or None when it never arrived)."""
    for record, sender_esp, landed in sent_records(placement):
        yield seed_send(record, sender_esp, landed)


def sent_records(placement):
    """Every sent record of the simulated tests with its sender's ESP and where the seed landed
    (inbox, category, spam, or None when it never arrived), from the simulator's records (in time
    order: a receipt answers the last send to its seed from its sender)."""
    for test in placement.tests:
        unanswered: dict = {}
        for record in placement.all_records(test.id):
            key = (record["sender_email"], record["recipient_email"])
            if placement.is_received(record):
                landed = "spam" if record["is_spam"] else "category" if record["has_category"] else "inbox"
                yield unanswered.pop(key), record["sender_esp"], landed
                continue
            if key in unanswered:
                yield unanswered[key], placement.sender_esps.get(key[0], 1), None
            unanswered[key] = record
        for (sender, _), record in unanswered.items():
            yield record, placement.sender_esps.get(sender, 1), None


def wilson(successes: int, n: int) -> tuple:
    """The 95% Wilson score interval of successes / n, as a textbook gives it."""
    z2, p = 1.96 ** 2, successes / n
    centre, half = p + z2 / (2 * n), 1.96 * (p * (1 - p) / n + z2 / (4 * n * n)) ** 0.5
    return max(0.0, (centre - half) / (1 + z2 / n)), min(1.0, (centre + half) / (1 + z2 / n))


def seed_send(record, sender_esp, landed):
    return (record["test_id"], pendulum.parse(record["timestamp_created_date"]).date(),
            record["sender_email"].lower(), ESP_LABELS[record["recipient_esp"]], ESP_LABELS[sender_esp], landed)


FAILING_LOADS = """\
import os, sys
if os.environ.get("TEST_FAIL_LOADS_OF") and not sys.argv[0].endswith("dbt"):
    from dlt.pipeline.pipeline import Pipeline
    original = Pipeline.load
    def load(self, *args, **kwargs):
        if self.pipeline_name in os.environ["TEST_FAIL_LOADS_OF"].split(","):
            raise OSError(28, "No space left on device")
        return original(self, *args, **kwargs)
    Pipeline.load = load
"""


def failing_loads(root: Path, *pipeline_names: str) -> Dict[str, str]:
    """Environment for a CLI run in which every load of these pipelines fails as on a full disk (a
    `sitecustomize` the run's Python imports at start, `run_started_fresh`; dbt's is left alone)."""
    hooks = root / "failing-loads"
    hooks.mkdir(exist_ok=True)
    (hooks / "sitecustomize.py").write_text(FAILING_LOADS)
    return {"PYTHONPATH": f"{hooks}{os.pathsep}{ROOT}", "TEST_FAIL_LOADS_OF": ",".join(pipeline_names)}


BAR = r"\s+[━╸╺]+\s+\d+/\d+\s+"
"""A progress bar with a total, at any stage (on a terminal's screen)."""


def run_on_terminal(env: dict, *args: str) -> Tuple[int, str]:
    """`python -m pipelines run ARGS` on a pseudo-terminal: its exit code and everything it drew,
    without colours and cursor moves."""
    import pty

    terminal, child_side = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "pipelines", "run", *args], cwd=ROOT,
                               env=dict(env, TERM="xterm-256color", COLUMNS="180"),
                               stdin=subprocess.DEVNULL, stdout=child_side, stderr=child_side)
    os.close(child_side)
    shown = b""
    while True:
        try:
            chunk = os.read(terminal, 65536)
        except OSError:  # the child closed its side
            break
        if not chunk:
            break
        shown += chunk
    os.close(terminal)
    code = process.wait(timeout=300)
    return code, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.decode("utf-8", "replace"))
