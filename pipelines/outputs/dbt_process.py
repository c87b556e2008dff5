"""The dbt process of a run: `python -m pipelines.outputs.dbt_process PLAN` (PLAN: JSON, below).

It imports dbt and parses the project at once, then waits for one line on its standard input
before it runs the command on the parse it holds (dbt's programmatic runner, given the manifest,
does not parse again). A run starts it before its load, so dbt's start and parse (about 3 s of a
daily run) overlap the load's requests instead of following them. Its standard input closing
without that line means the run needs no dbt after all: it exits without running anything.

PLAN: {"parse": [dbt arguments], "run": [dbt arguments], "results": path or null}. `results`:
where the command's run results go (`run_results.json`), written here because the run's dbt
does not write its JSON artifacts itself (`--no-write-json`: the manifest alone is 0.5 s of
every build, and nothing of ours reads it).
"""

import json
import sys
from typing import Any, List

SHOWN_LEVELS = ("info", "warn", "error")
UNSHOWN = "LogStartLine"
"""dbt's `N of M START ...` line: one per node before its result line, and nothing of its own."""


def show(event: Any) -> None:
    """Prints what dbt's console would show (the run's log gets it), but a node's start line.
    dbt's own console logger is off (`--log-level none`): it costs a sixth of a build, and this
    costs a fraction of that."""
    if event.info.level in SHOWN_LEVELS and event.info.name != UNSHOWN:
        print(f"{event.info.ts.ToDatetime():%H:%M:%S}  {event.info.msg}")


def exit_code(success: bool, exception: object) -> int:
    """dbt's own: 0 passed, 1 a node failed, 2 dbt itself failed."""
    if exception is not None:
        print(f"dbt failed: {exception}")
    return 0 if success else 1 if exception is None else 2


def main(argv: List[str]) -> int:
    plan = json.loads(argv[0])
    from dbt.cli.main import dbtRunner  # after the plan is read: a bad plan fails in milliseconds
    from dbt.contracts.graph.manifest import Manifest

    parsed = dbtRunner(callbacks=[show]).invoke(plan["parse"])
    sys.stdout.flush()
    if not parsed.success or not isinstance(parsed.result, Manifest):
        return exit_code(False, parsed.exception or "parse failed")
    if not sys.stdin.readline():
        return 0
    done = dbtRunner(manifest=parsed.result, callbacks=[show]).invoke(plan["run"])
    written = getattr(done.result, "write", None)
    if plan.get("results") and written is not None:
        written(plan["results"])
    return exit_code(done.success, done.exception)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
