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
from typing import Callable, ContextManager, Dict, Iterator, List, Optional, Tuple

from pipelines.common.errors import TransformError
from pipelines.engine.warehouse import Warehouse

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
DEFAULT_TARGET = DBT_PROJECT / "target"
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
GLOBAL_FLAGS = ["--no-use-colors", "--log-level", "none", "--log-level-file", "none"]
"""dbt's loggers off: `dbt_process` prints its lines for the run's log (its info lines, errors
included), at a fraction of the console logger's cost; dbt's own debug log would be one file in
the project for every warehouse's runs, and writing it is a tenth of a build."""
BUILD = ["build", "--exclude-resource-type", "unit_test"]
"""A run's build: models and their data tests. dbt's unit tests check our SQL against fixtures,
not the warehouse's data: `make test` runs them (dbt's advice: not in production runs)."""


class DbtProcess:
    """`dbt COMMAND` on `warehouse` in a process of its own (`dbt_process`), started when made so
    that dbt's imports and parse overlap whatever the caller does meanwhile (a run: its load);
    `finish` runs the command, `cancel` ends dbt without it. Its output (no colour codes) is
    appended to `log_file`, and each node it finishes is reported to `progress` (nodes done,
    nodes in all).

    dbt's connections and logging never mix with the pipeline's; it stays in the run's process
    group and ends with the run (`end_with_parent`). Its target is the dlt destination, read from
    the same credential variables as dlt (`dbt_project/profiles.yml`), and every session is
    pinned to UTC. A DuckDB file is named relative to dbt's working directory (its own), because
    dbt parses again whenever the connection differs (see `reuse_parse`). Parsing opens no
    connection: it may run while the load holds the DuckDB file.

    `lean`: a build's artifacts are its run results alone (`dbt_process` writes them); dbt's
    manifest.json, written twice per build otherwise, is 0.5 s each time and nothing reads it.
    """

    def __init__(
        self, warehouse: Warehouse, command: List[str], target: Path, log_file: Optional[Path], lean: bool = False,
    ) -> None:
        self.warehouse, self.log_file = warehouse, log_file
        env = dict(os.environ, **dbt_settings(warehouse))
        cwd = None
        if warehouse.duckdb_file is not None:
            cwd, env["DESTINATION__DUCKDB__CREDENTIALS"] = warehouse.duckdb_file.parent, warehouse.duckdb_file.name
        project = [
            "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
            "--target", warehouse.destination, "--target-path", str(target),
        ]
        flags = [*GLOBAL_FLAGS, *(["--no-write-json"] if lean else [])]
        self.results = target / "run_results.json"
        run = [*flags, *command, *project]
        plan = {"parse": [*flags, "parse", *project], "run": run, "results": str(self.results) if lean else None}
        self.command = " ".join(["dbt", *run])
        parent = os.getpid()
        self.dbt = subprocess.Popen(
            [sys.executable, "-m", "pipelines.outputs.dbt_process", json.dumps(plan)], env=env, cwd=cwd,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            preexec_fn=lambda: end_with_parent(parent),
        )

    def finish(self, progress: Optional[Progress] = None) -> int:
        """Runs the command on the warehouse (which must exist by now); returns dbt's exit code."""
        try:
            self.warehouse.require_loaded()
        except Exception:
            self.cancel()
            raise
        return self._end("run\n", self.command, progress)

    def cancel(self) -> None:
        """Ends dbt without running the command, once its parse is done (a parse cut short
        would leave a broken one for the next run). Its parse's output still reaches the log."""
        if self.dbt.returncode is None:
            self._end("", f"{self.command}: not run", None)

    def _end(self, answer: str, heading: str, progress: Optional[Progress]) -> int:
        """Answers dbt (`run`, or nothing: exit), appends its output to the log, waits for it."""
        assert self.dbt.stdin is not None and self.dbt.stdout is not None
        try:
            if not self.dbt.stdin.closed:  # answered once only, even if reading its output failed
                self.dbt.stdin.write(answer)
                self.dbt.stdin.close()
        except BrokenPipeError:  # dbt already ended (its parse failed): its output says why
            pass
        with open(self.log_file or os.devnull, "a") as log:
            log.write(f"\n$ {heading}\n")
            for line in self.dbt.stdout:
                log.write(line)
                done = NODE_DONE.search(line)
                if done and progress is not None:
                    progress(int(done["n"]), int(done["of"]))
        return self.dbt.wait()


@contextmanager
def dbt_process(
    warehouse: Warehouse, command: List[str], target: Path, log_file: Optional[Path], lean: bool = False,
) -> Iterator[DbtProcess]:
    """A `DbtProcess` for the block, starting from the project's last parse (`reuse_parse`);
    cancelled at the block's end if the block did not finish it."""
    with reuse_parse(target):
        dbt = DbtProcess(warehouse, command, target, log_file, lean)
        try:
            yield dbt
        finally:
            dbt.cancel()


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


def prepare_build(
    warehouse: Warehouse, target_path: Optional[str] = None, log_file: Optional[Path] = None,
) -> ContextManager[DbtProcess]:
    """A run's `dbt build` (`BUILD`) on `warehouse`, started (imports and parse) for `finish_build`."""
    target = Path(target_path) if target_path else warehouse.dbt_target()
    (target / "run_results.json").unlink(missing_ok=True)
    return dbt_process(warehouse, BUILD, target, log_file, lean=True)


def finish_build(dbt: DbtProcess, progress: Optional[Progress] = None) -> DbtOutcome:
    """Runs a prepared build (`prepare_build`); returns its one-line summary and warnings, or
    raises TransformError naming the failing nodes. `progress`: see `DbtProcess`."""
    started = time.monotonic()
    code = dbt.finish(progress)
    outcome = summarise(dbt.results, time.monotonic() - started)
    if code != 0:
        line = outcome.line
        raise TransformError(line if "failed" in line else f"dbt build failed (exit {code}): see {dbt.log_file}")
    return outcome


def dbt_build(
    warehouse: Warehouse, target_path: Optional[str] = None, log_file: Optional[Path] = None,
    progress: Optional[Progress] = None,
) -> DbtOutcome:
    """`prepare_build` and `finish_build` at once: a run's `dbt build` on `warehouse` when nothing else goes on meanwhile."""
    with prepare_build(warehouse, target_path, log_file) as dbt:
        return finish_build(dbt, progress)


def run_dbt(warehouse: Warehouse, command: List[str], target: Path, log_file: Optional[Path]) -> int:
    """`dbt COMMAND` on `warehouse`, at once; returns dbt's exit code."""
    with dbt_process(warehouse, command, target, log_file) as dbt:
        return dbt.finish()


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
