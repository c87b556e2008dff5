"""One line for any failure: what failed and what to fix, found anywhere in the exception chain.

dlt wraps every error of a step (`PipelineStepFailed: ... at step=sync`), which alone tells a
user nothing they can act on; the cause is further down the chain.
"""

import re
from pathlib import Path
from typing import Any, List, Optional, Sequence

from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    ConfigValueCannotBeCoercedException,
    LookupTrace,
    LookupTraces,
)

from pipelines.common.errors import ApiError, ConfigError, TransformError, bad_value, chain
from pipelines.engine.warehouse import snapshot_of

DUCKDB_LOCK = re.compile(r'Could not set lock on file "(?P<path>[^"]+)".*?held in (?P<program>\S+) \(PID (?P<pid>\d+)\)')

POSTGRES_PROBLEMS = (
    # (what the server or libpq says, the setting to check)
    (re.compile(r"password authentication failed for user \"([^\"]+)\""),
     "wrong password for role {0}: check DESTINATION__POSTGRES__CREDENTIALS__USERNAME and __PASSWORD"),
    (re.compile(r"role \"([^\"]+)\" does not exist"),
     "role {0} does not exist: check DESTINATION__POSTGRES__CREDENTIALS__USERNAME (README: PostgreSQL setup)"),
    (re.compile(r"database \"([^\"]+)\" does not exist"),
     "database {0} does not exist: create it or check DESTINATION__POSTGRES__CREDENTIALS__DATABASE"),
    (re.compile(r"(permission denied for [^\n]+)"),
     "{0}: grant the loader role CREATE on the database (README: PostgreSQL setup)"),
    (re.compile(r"(Connection refused|could not translate host name[^\n]*|timeout expired)"),
     "cannot reach the server ({0}): check DESTINATION__POSTGRES__CREDENTIALS__HOST and __PORT"),
)


def explain(exc: BaseException, section: str = "") -> str:
    """The one line. `section` (e.g. `instantly`) names the source whose settings were being read,
    so a bad value is reported under the variable a user sets. Never raises: a failure to
    explain falls back to the innermost cause as it reads."""
    try:
        return explained(exc, section)
    except Exception:  # noqa: BLE001 - the explainer must never hide the error it explains
        return innermost(exc)


def explained(exc: BaseException, section: str) -> str:
    missing: Optional[ConfigFieldMissingException] = None
    for current in chain(exc):
        if isinstance(current, (ApiError, ConfigError, TransformError)):
            return str(current)
        if isinstance(current, ConfigValueCannotBeCoercedException):
            return bad_value(current, section)
        if isinstance(current, ConfigFieldMissingException) and missing is None:
            missing = current
        line = duckdb_lock(current) or postgres_problem(current)
        if line:
            return line
    if missing is not None:
        names = setting_names(missing)
        return f"Missing setting {names}: set {'them' if ', ' in names else 'it'} in the environment or .dlt/secrets.toml"
    return innermost(exc)


def innermost(exc: BaseException) -> str:
    """The deepest cause that says something (`No space left on device`, not dlt's `Pipeline
    execution failed at step=load ... with exception:`), with the step dlt was at."""
    causes = [e for e in chain(exc) if first_line(e)]
    inner = causes[-1] if causes else exc
    step = getattr(exc, "step", None)
    where = f"{step} step failed: " if isinstance(step, str) and inner is not exc else ""
    return f"{where}{type(inner).__name__}: {first_line(inner)}".rstrip(": ")


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def duckdb_lock(exc: BaseException) -> str:
    """A DuckDB file another process holds (DuckDB allows one writer or many readers)."""
    found = DUCKDB_LOCK.search(str(exc))
    if not found:
        return ""
    return (
        f"the warehouse {found['path']} is locked by PID {found['pid']} ({found['program']}):"
        f" close that program, and point BI tools at the snapshot {snapshot_of(Path(found['path'])).name}"
        " beside it (read-only), never at the warehouse itself"
    )


def postgres_problem(exc: BaseException) -> str:
    """A connection or permission problem reported by PostgreSQL, with the setting to check."""
    if type(exc).__module__.split(".")[0] != "psycopg2":
        return ""
    text = str(exc)
    for pattern, advice in POSTGRES_PROBLEMS:
        found = pattern.search(text)
        if found:
            return "PostgreSQL: " + advice.format(*found.groups())
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"PostgreSQL: {first}"


def setting_names(missing: ConfigFieldMissingException) -> str:
    """The environment variable users are told to set for each missing field (the
    `SECTION__SOURCE__FIELD` form among the keys dlt tried), embedded configurations (a
    destination's credentials) included."""
    names = []
    for name in missing.fields:
        for keys in leaf_keys(missing.traces.get(name, [])) or [[name]]:
            preferred = [
                k for k in keys
                if (k.startswith("SOURCES__") and k.count("__") == 2)
                or (k.startswith("DESTINATION__") and k.count("__") >= 3)
            ]
            names.append((preferred or keys)[0])
    return ", ".join(dict.fromkeys(names))


def leaf_keys(traces: Sequence[Any]) -> List[List[str]]:
    """The keys dlt tried, one list per missing value: a trace of an embedded configuration
    (`LookupTraces`) holds the traces of its own fields."""
    found: List[List[str]] = []
    plain = [trace.key for trace in traces if isinstance(trace, LookupTrace)]
    if plain:
        found.append(plain)
    for trace in traces:
        if isinstance(trace, LookupTraces):
            for nested in trace.traces.values():
                found += leaf_keys(nested)
    return found
