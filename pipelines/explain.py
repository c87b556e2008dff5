"""One line for any failure: what failed and what to fix, found anywhere in the exception chain.

dlt wraps every error of a step (`PipelineStepFailed: ... at step=sync`), which alone tells a
user nothing they can act on; the cause is further down the chain.
"""

import re
from pathlib import Path
from typing import Iterator, List, Optional

from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    ConfigValueCannotBeCoercedException,
)

from pipelines.common.errors import ApiError, ConfigError
from pipelines.snapshot import snapshot_path

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


def chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and every cause, context and dlt-wrapped exception under it, once each."""
    seen = set()
    todo: List[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for attr in ("exception", "__cause__", "__context__"):
            nested = getattr(current, attr, None)
            if isinstance(nested, BaseException):
                todo.append(nested)


def explain(exc: BaseException, section: str = "") -> str:
    """The one line. `section` (e.g. `instantly`) names the source whose settings were being read,
    so a bad value is reported under the variable a user sets."""
    from pipelines.transform import TransformError

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
        return f"Missing setting {setting_names(missing)}: set it in the environment or .dlt/secrets.toml"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}"


def bad_value(exc: ConfigValueCannotBeCoercedException, section: str) -> str:
    name = f"SOURCES__{section.upper()}__{exc.field_name.upper()}" if section else exc.field_name
    kinds = {int: "a whole number", float: "a number", bool: "true or false"}
    kind = kinds.get(exc.hint, f"a {getattr(exc.hint, '__name__', exc.hint)}")
    return f"{name}={str(exc.field_value)!r} is not {kind}"


def duckdb_lock(exc: BaseException) -> str:
    """A DuckDB file another process holds (DuckDB allows one writer or many readers)."""
    found = DUCKDB_LOCK.search(str(exc))
    if not found:
        return ""
    return (
        f"the warehouse {found['path']} is locked by PID {found['pid']} ({found['program']}):"
        f" close that program, and point BI tools at the snapshot {snapshot_path(Path(found['path'])).name}"
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
    `SECTION__SOURCE__FIELD` form among the keys dlt tried)."""
    names = []
    for name in missing.fields:
        keys = [trace.key for trace in missing.traces.get(name, [])]
        preferred = [
            k for k in keys
            if (k.startswith("SOURCES__") and k.count("__") == 2)
            or (k.startswith("DESTINATION__") and k.count("__") == 3)
        ]
        names.append((preferred or keys or [name])[0])
    return ", ".join(names)
