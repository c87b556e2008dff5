"""Runs the dbt project on the warehouse the pipeline just loaded, and sums it up in one line."""

import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple

from pipelines.common.errors import TransformError
from pipelines.engine.warehouse import Warehouse

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
DEFAULT_TARGET = DBT_PROJECT / "target"
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
"""The dbt of this environment (its bin directory need not be on PATH, as under cron)."""
PR_SET_PDEATHSIG = 1
PARSE_FILE = "partial_parse.msgpack"
SHARED_PARSE = DEFAULT_TARGET / "parsed" / PARSE_FILE
"""The project's last parse, which a warehouse without a parse of its own starts from."""


@dataclass(frozen=True)
class DbtOutcome:
    """A `dbt build`: its one line, and the tests that only warned (vendor numbers that do not
    add up: a mart is never held back for them)."""

    line: str
    warnings: Tuple[str, ...] = ()


def end_with_parent(parent_pid: int) -> None:
    """In the dbt child, before exec: the kernel sends it SIGTERM when the run's process dies,
    however it dies (kill -9 included), so no orphaned dbt keeps the DuckDB file locked."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:  # not Linux: dbt still ends with the process group on Ctrl-C
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def dbt_settings(warehouse: Warehouse) -> Dict[str, str]:
    """The variables dbt's profile reads for `warehouse` (`dbt_project/profiles.yml`): its target,
    the DuckDB file as an absolute path, and UTC sessions on PostgreSQL (PGTZ)."""
    settings = {"DESTINATION_TYPE": warehouse.destination, "PGTZ": "UTC"}
    if warehouse.duckdb_file is not None:
        settings["DESTINATION__DUCKDB__CREDENTIALS"] = str(warehouse.duckdb_file)
    return settings


NODE_DONE = re.compile(r"\b(?P<n>\d+) of (?P<of>\d+) (?:OK|PASS|WARN|ERROR|FAIL|SKIP)\b")
"""dbt's line for a node it finished (`12 of 251 OK created sql table model ...`)."""
Progress = Callable[[int, int], None]


def run_dbt(
    warehouse: Warehouse, command: List[str], target: Path, log_file: Optional[Path], progress: Optional[Progress] = None,
) -> int:
    """Runs `dbt COMMAND` on `warehouse`, its output (no colour codes) appended to `log_file`, and
    each node it finishes reported to `progress` (nodes done, nodes in all).

    dbt runs in its own process, so its connections and logging never mix with the pipeline's;
    it stays in the run's process group and ends with the run. Its target is the dlt destination,
    read from the same credential variables as dlt (`dbt_project/profiles.yml`), and every
    session is pinned to UTC.

    dbt parses the project only when it changed (`reuse_parse`): a DuckDB file is named relative
    to dbt's working directory (its own), because dbt parses again whenever the connection
    differs, and a warehouse without a parse of its own starts from the project's last one.
    """
    warehouse.require_loaded()
    env = dict(os.environ, **dbt_settings(warehouse))
    cwd = None
    if warehouse.duckdb_file is not None:
        cwd, env["DESTINATION__DUCKDB__CREDENTIALS"] = warehouse.duckdb_file.parent, warehouse.duckdb_file.name
    args: List[str] = [
        DBT_EXECUTABLE, "--no-use-colors", *command,
        "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
        "--target", warehouse.destination, "--target-path", str(target),
    ]
    parent = os.getpid()
    with reuse_parse(target), open(log_file or os.devnull, "a") as log:
        log.write(f"\n$ {' '.join(args)}\n")
        log.flush()
        dbt = subprocess.Popen(
            args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True, preexec_fn=lambda: end_with_parent(parent),
        )
        assert dbt.stdout is not None
        for line in dbt.stdout:
            log.write(line)
            done = NODE_DONE.search(line)
            if done and progress is not None:
                progress(int(done["n"]), int(done["of"]))
        return dbt.wait()


@contextmanager
def reuse_parse(target: Path) -> Iterator[None]:
    """Starts a target without a parse from the project's last one (`SHARED_PARSE`), and keeps
    what dbt parsed there for the next new target: a new warehouse (an agency's next client, a
    test's) skips the full parse. dbt checks a parse before using it and parses again when the
    project, the profile or dbt changed, so a stale one costs only that parse. A build that reused
    its parse leaves the file as it was: nothing is copied back."""
    own = target / PARSE_FILE
    if not own.exists() and SHARED_PARSE.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHARED_PARSE, own)
    yield
    if own.exists() and (not SHARED_PARSE.exists() or own.stat().st_mtime > SHARED_PARSE.stat().st_mtime):
        SHARED_PARSE.parent.mkdir(parents=True, exist_ok=True)
        draft = SHARED_PARSE.with_name(f"{PARSE_FILE}.{os.getpid()}")
        shutil.copyfile(own, draft)
        os.replace(draft, SHARED_PARSE)  # atomic: a run starting meanwhile copies the old or the new


def dbt_build(
    warehouse: Warehouse, target_path: Optional[str] = None, log_file: Optional[Path] = None,
    progress: Optional[Progress] = None,
) -> DbtOutcome:
    """`dbt build` (models and tests) on `warehouse`; returns its one-line summary and warnings,
    or raises TransformError naming the failing nodes. `progress`: see `run_dbt`."""
    target = Path(target_path) if target_path else warehouse.dbt_target()
    results = target / "run_results.json"
    results.unlink(missing_ok=True)
    started = time.monotonic()
    code = run_dbt(warehouse, ["build"], target, log_file, progress)
    outcome = summarise(results, time.monotonic() - started)
    if code != 0:
        line = outcome.line
        raise TransformError(line if "failed" in line else f"dbt build failed (exit {code}): see {log_file}")
    return outcome


def dbt_docs(warehouse: Warehouse, log_file: Optional[Path] = None) -> Path:
    """`dbt docs generate` on `warehouse`; returns the site's index.html."""
    if run_dbt(warehouse, ["docs", "generate"], DEFAULT_TARGET, log_file) != 0:
        raise TransformError(f"dbt docs generate failed: see {log_file}")
    return DEFAULT_TARGET / "index.html"


def summarise(run_results: Path, seconds: float) -> DbtOutcome:
    """`dbt build: N models, M tests passed (W warnings) in S s`, or the failing nodes with their
    errors. The warnings' names go with the outcome (the ledger, the log), not on the line."""
    try:
        results = json.loads(run_results.read_text())["results"]
    except (OSError, ValueError, KeyError):
        return DbtOutcome(f"dbt build: no results (dbt stopped before running any node) in {seconds:.1f}s")
    kinds: Counter = Counter()
    failures = []
    warnings = []
    for result in results:
        kind = result["unique_id"].split(".")[0]
        kinds[kind] += 1
        name = result["unique_id"].split(".")[-1] if kind != "test" else result["unique_id"].split(".")[2]
        if result["status"] in ("error", "fail", "runtime error"):
            message = " ".join(str(result.get("message") or result["status"]).split())[:300]
            failures.append(f"{kind} {name}: {message}")
        elif result["status"] == "warn":
            warnings.append(name)
    if failures:
        return DbtOutcome(f"dbt build failed on {len(failures)} of {len(results)} nodes: " + "; ".join(failures))
    tests = kinds["test"] + kinds["unit_test"]
    warned = f" ({len(warnings)} warning{'s' if len(warnings) != 1 else ''}: names in the log)" if warnings else ""
    line = f"dbt build: {kinds['model']} models, {tests} tests passed{warned} in {seconds:.1f}s"
    return DbtOutcome(line, tuple(sorted(warnings)))
