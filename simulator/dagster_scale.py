"""Beyond one host (`python -m simulator.dagster_scale`, in `make bench`, or alone with
`python -m simulator.bench --only dagster`): an agency of 50 client workspaces loaded by the
README's Dagster deployment into PostgreSQL, against `make run` loading the same workspaces.

The agency is simulated with clients of different sizes (`--varied`: a tenth to four times 12
campaigns, 2 tests, 30 days), each workspace with its own request limit (the simulator's and the
client's budget, `--rate` requests/second each). In one throwaway PostgreSQL server:

1. `python -m pipelines run` loads every workspace into the database `cron` (cron's path; from a
   simulator of its own at 100 req/s, the same data).
2. The deployment (`simulator.deployment`: the code location's server, the webserver and the
   daemon, Dagster's storage in its own database) loads every workspace partition into the
   database `orchestrated` with the README's backfill command, `--runs-at-once` runs at a time
   (each run in a process of its own, its step in another: Dagster's multiprocess executor), and
   builds dbt once after the last load (the sensor `transform_after_loads`).
3. The two warehouses are compared table by table, row by row (`simulator.compare`).
4. Two writers at once on `orchestrated`: a Dagster backfill of 5 clients' daily run and a
   cron `run --wait` of 5 others (with a working directory of its own, as on another host) take
   turns through the warehouse's lock; the run ledger shows both.

Measured: the loads' wall time against their floor (the slowest workspace's requests over its
limit, or all requests over the limits of the runs at once, whichever is longer), the peak
memory and CPU time of each run process (with its step process), the machine's busy cores, the
dbt builds per tick, and the cron run's wall, CPU and memory.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

import pendulum
import psycopg2

from simulator.agency import agency_key
from simulator.bench import simulator_process
from simulator.compare import postgres_tables
from simulator.deployment import Deployment, deployment, readme_commands, wait_until
from simulator.postgres import LOADER, throwaway_server, warehouse_settings
from simulator.scale import ROOT, process_tree, timed_run, tree_rss_mb

DAYS = 30
TYPICAL_CAMPAIGNS = 12
TWO_WRITERS = 5
"""Clients in each writer of the two-writer step (Dagster's the first ones, cron's the last)."""
TARGET_RATIO = 1.3
CRON_RATE = 100.0
"""`make run`'s load for the comparison asks a simulator of its own (the same data) at Instantly's
documented limit: the rate changes its time, never its rows."""


def labels(workspaces: int) -> List[str]:
    return [f"client-{n}" for n in range(1, workspaces + 1)]


def pipeline_env(root: Path, base_url: str, port: int, database: str, clients: List[str], rate: float) -> Dict[str, str]:
    """The settings of a run (cron's, or the code location's) on `database`, for `clients`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION", "DAGSTER_"))}
    env.update(
        warehouse_settings(port, database), PYTHONPATH=str(ROOT), DLT_DATA_DIR=str(root / "dlt"),
        LOG_DIR=str(root / "logs"), SOURCES__INSTANTLY__BASE_URL=base_url,
        SOURCES__INSTANTLY__WORKSPACES=json.dumps({label: agency_key(int(label.split("-")[1])) for label in clients}),
        SOURCES__INSTANTLY__START_DATE=pendulum.now("UTC").date().subtract(days=DAYS - 1).isoformat(),
        SOURCES__INSTANTLY__MAX_REQUESTS_PER_SECOND=f"{rate:g}",
    )
    return env


class RunProcesses(threading.Thread):
    """Samples every Dagster run process until stopped: the peak resident memory and the CPU
    seconds of each, with its descendants. A run process is a child the code location's server
    (`dagster api grpc`) starts for a run (Dagster's default run launcher); its tree holds the
    step's process (the multiprocess executor) and, in the build's run, dbt."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peaks: Dict[int, float] = {}
        self.cpu: Dict[int, float] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5):
            commands = {int(entry.name): command_of(entry) for entry in Path("/proc").iterdir() if entry.name.isdigit()}
            servers = {pid for pid, command in commands.items() if b"api\0grpc" in command}
            for pid, command in commands.items():
                if b"spawn_main" in command and parent_of(pid) in servers:
                    self.peaks[pid] = max(self.peaks.get(pid, 0.0), tree_rss_mb(pid))
                    self.cpu[pid] = max(self.cpu.get(pid, 0.0), tree_cpu_s(pid))


def command_of(entry: Path) -> bytes:
    try:
        return entry.joinpath("cmdline").read_bytes()
    except OSError:
        return b""


def tree_cpu_s(pid: int) -> float:
    """The CPU seconds of a process and its descendants so far (ended ones it waited for too)."""
    total = 0.0
    for current in process_tree(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            continue
    return total


def parent_of(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def busy_cpu_seconds() -> float:
    """The machine's busy CPU time so far (all cores, from /proc/stat), in seconds."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


BY_DAGSTER = "strpos(run_id, '-dagster-') > 0"
"""The run ledger's rows of Dagster's runs (`orchestration.dagster_run_id`)."""


def query(port: int, database: str, sql: str, params: tuple = ()) -> List[tuple]:
    with psycopg2.connect(host="127.0.0.1", port=port, user=LOADER, dbname=database) as con:
        cursor = con.cursor()
        cursor.execute(sql, params)
        return cursor.fetchall()


def backfill(running: Deployment, clients: List[str], then_build: bool = True) -> Dict[str, float]:
    """The README's backfill command for `clients`, waited for until every load (and, with
    `then_build`, the build after them) finished: the loads' wall time (from the command to the
    last load's end) and the machine's busy CPU seconds meanwhile (every core, every process)."""
    import dagster as dg

    instance = running.instance()
    before = {run.run_id for run in instance.get_runs()}
    command = next(c for c in readme_commands() if "job backfill" in c)
    started, cpu = time.time(), busy_cpu_seconds()
    running.run(command, {"acme,globex": ",".join(clients)})

    def finished(job: str) -> List[Any]:
        records = [r for r in instance.get_run_records(dg.RunsFilter(job_name=job)) if r.dagster_run.run_id not in before]
        return records if records and all(r.dagster_run.is_finished for r in records) else []

    loads = wait_until(lambda: len(finished("workspace_load")) == len(clients) and finished("workspace_load"), 3600, 1)
    cpu = busy_cpu_seconds() - cpu
    if then_build:
        wait_until(lambda: finished("transform"), 1800, 3)
    failed = [r.dagster_run.tags.get("dagster/partition") for r in loads if r.dagster_run.status.value != "SUCCESS"]
    if failed:
        raise RuntimeError(f"Dagster loads failed: {failed}")
    return {"loads_wall_s": max(r.end_time for r in loads) - started, "loads_cpu_s": cpu}


def dagster_requests(port: int, database: str) -> Dict[str, int]:
    """Each workspace's requests in Dagster's runs, from the run ledger."""
    rows = query(port, database, "select workspace_label, sum(request_count) from raw.run_ledger"
                                 f" where {BY_DAGSTER} and family <> 'dbt' group by 1")
    return {label: int(requests or 0) for label, requests in rows}


def measure(workspaces: int, runs_at_once: int, rate: float, root: Path) -> Dict[str, Any]:
    clients = labels(workspaces)
    result: Dict[str, Any] = {"workspaces": workspaces, "runs_at_once": runs_at_once, "rate_limit": rate,
                              "days": DAYS}
    agency_args = ("--workspace", "sparse", "--agency", str(workspaces), "--varied", "--campaigns",
                   str(TYPICAL_CAMPAIGNS), "--tests", "2", "--days", str(DAYS), "--latency-ms", "50", "150")
    with throwaway_server(databases=("cron", "orchestrated", "dagster")) as port:
        with simulator_process(*agency_args, "--rate-limit", f"{CRON_RATE:g}") as cron_url:
            cron = timed_run(pipeline_env(root / "cron", cron_url, port, "cron", clients, CRON_RATE))
        result["make_run"] = cron
        print(f"make run: {workspaces} workspaces in {cron['wall_s']} s", flush=True)
        with simulator_process(*agency_args, "--rate-limit", f"{rate:g}") as base_url:
            orchestrated(result, root, base_url, port, clients, runs_at_once, rate)
    return result


def orchestrated(result: Dict[str, Any], root: Path, base_url: str, port: int, clients: List[str], runs_at_once: int,
                 rate: float) -> None:
    """The Dagster steps of `measure` (2 to 4), their figures added to `result`."""
    import dagster as dg

    workspaces = len(clients)
    code_env = pipeline_env(root / "dagster", base_url, port, "orchestrated", clients, rate)
    storage = f"postgresql+psycopg2://{LOADER}@127.0.0.1:{port}/dagster"
    with deployment(root / "dagster", code_env, storage, runs_at_once) as running:
        instance = running.instance()
        wait_until(lambda: len(instance.get_dynamic_partitions("workspaces")) == workspaces, 300)
        processes = RunProcesses()
        processes.start()
        loads = backfill(running, clients)
        processes.done.set()
        wall = loads["loads_wall_s"]
        requests = dagster_requests(port, "orchestrated")
        floor = max(max(requests.values()) / rate, sum(requests.values()) / (runs_at_once * rate))
        peaks, cpu = sorted(processes.peaks.values()), sorted(processes.cpu.values())
        result["dagster"] = {
            "loads_wall_s": round(wall, 1), "requests": sum(requests.values()),
            "slowest_workspace_requests": max(requests.values()), "floor_s": round(floor, 1),
            "ratio": round(wall / floor, 3), "run_processes": len(peaks),
            "machine_cpu_s": round(loads["loads_cpu_s"]), "machine_cores_busy": round(loads["loads_cpu_s"] / wall, 2),
            "peak_rss_mb_per_run": {"median": round(peaks[len(peaks) // 2]), "max": round(peaks[-1])},
            "cpu_s_per_run": {"median": round(cpu[len(cpu) // 2], 1), "max": round(cpu[-1], 1)},
            "dbt_builds": query(port, "orchestrated", "select count(*) from raw.run_ledger where family = 'dbt'")[0][0],
            "transform_runs": len(instance.get_runs(dg.RunsFilter(job_name="transform"))),
        }
        print(f"dagster: {json.dumps(result['dagster'])}", flush=True)
        cron_tables = postgres_tables(host="127.0.0.1", port=port, user=LOADER, dbname="cron")
        dagster_tables = postgres_tables(host="127.0.0.1", port=port, user=LOADER, dbname="orchestrated")
        result["equal"] = cron_tables == dagster_tables
        result["tables_compared"] = len(cron_tables)
        result["rows_compared"] = sum(len(rows) for rows in cron_tables.values())
        result["tables_that_differ"] = sorted(t for t in cron_tables.keys() | dagster_tables.keys()
                                              if cron_tables.get(t) != dagster_tables.get(t))
        result["two_writers"] = two_writers(running, root, base_url, port, clients, rate)


def two_writers(running: Deployment, root: Path, base_url: str, port: int, clients: List[str], rate: float) -> Dict[str, Any]:
    """A Dagster backfill of the first clients and a cron run of the last ones, at once, on the
    same warehouse: both finish, and the ledger has both writers' rows."""
    ours, theirs = clients[:TWO_WRITERS], clients[-TWO_WRITERS:]
    env = pipeline_env(root / "cron-host", base_url, port, "orchestrated", theirs, rate)
    since = query(port, "orchestrated", "select now()")[0][0]
    cron = subprocess.Popen([sys.executable, "-m", "pipelines", "run", "--wait"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = backfill(running, ours, then_build=False)["loads_wall_s"]
    out, _ = cron.communicate(timeout=1800)
    rows = query(port, "orchestrated", f"select {BY_DAGSTER}, workspace_label, status from raw.run_ledger"
                                       " where started_at >= %s", (since,))
    dagster_rows = [r for r in rows if r[0] and r[1] != "*"]
    cron_rows = [r for r in rows if not r[0] and r[1] != "*"]
    return {
        "cron_exit": cron.returncode, "cron_last_line": out.strip().splitlines()[-1] if out.strip() else "",
        "dagster_loads_wall_s": round(wall, 1),
        "ledger_dagster_workspaces_ok": len({r[1] for r in dagster_rows if r[2] == "ok"}),
        "ledger_cron_workspaces_ok": len({r[1] for r in cron_rows if r[2] == "ok"}),
        "ledger_failed_rows": sum(1 for r in rows if r[2] == "failed"),
    }


def targets(result: Dict[str, Any]) -> Dict[str, bool]:
    dagster, writers = result["dagster"], result["two_writers"]
    n = result["workspaces"]
    return {
        f"dagster, {n} workspaces into PostgreSQL: the warehouse equals make run's, row by row": bool(result["equal"]),
        f"dagster, {n} workspaces: loads' wall <= {TARGET_RATIO} x floor": dagster["ratio"] <= TARGET_RATIO,
        "dagster: one dbt build per tick": dagster["dbt_builds"] == 1 and dagster["transform_runs"] == 1,
        "dagster and cron at once: both load, the ledger shows both": (
            writers["cron_exit"] == 0 and writers["ledger_failed_rows"] == 0
            and writers["ledger_dagster_workspaces_ok"] == TWO_WRITERS
            and writers["ledger_cron_workspaces_ok"] == TWO_WRITERS),
    }


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m simulator.dagster_scale", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workspaces", type=int, default=50, help="client workspaces (default 50)")
    p.add_argument("--runs-at-once", type=int, default=6, help="Dagster's run queue limit (default 6)")
    p.add_argument("--rate", type=float, default=10.0,
                   help="each workspace's requests/second, the pipeline's default budget (default 10)")
    p.add_argument("--output", help="also write the results here (JSON)")
    args = p.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        result = measure(args.workspaces, args.runs_at_once, args.rate, Path(tmp))
    result["targets"] = targets(result)
    result["minutes"] = round((time.monotonic() - started) / 60, 1)
    print(json.dumps({k: v for k, v in result.items() if k != "targets"}), flush=True)
    for name, met in result["targets"].items():
        print(f"{'met' if met else 'MISSED':>6}  {name}")
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n")
    return 0 if all(result["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
