"""The errors that end a run or a source with one line naming what to fix.

Apart from the HTTP client, so date parsing, the run lock and dbt can raise them without
importing the client.
"""

from contextlib import contextmanager
from typing import Iterator, List, Optional

from dlt.common.configuration.exceptions import ConfigValueCannotBeCoercedException


class ConfigError(ValueError):
    """A setting is missing or unusable; the message is one line naming it."""


class TransformError(RuntimeError):
    """dbt build failed; the message names the failing nodes and their errors."""


class ApiError(Exception):
    """A request failed for good. The message is one line naming the endpoint and what to fix.

    `status` is the API's own HTTP answer (None for timeouts, broken connections and a firewall
    page); `scope` the read scope the endpoint needs, when the reference names one."""

    def __init__(self, message: str, status: Optional[int] = None, scope: Optional[str] = None) -> None:
        super().__init__(message)
        self.status = status
        self.scope = scope

    @property
    def refused(self) -> bool:
        """The workspace does not allow this endpoint: no add-on or plan (402), or the key lacks
        its scope (403). Asking again cannot help, and other endpoints may still answer."""
        return self.status in (402, 403)


class WorkspaceUnavailable(Exception):
    """A workspace cannot be read at all (its key refused, its plan unpaid): every family of it
    fails, with the one line of its cause (`__cause__`)."""


class Interrupted(Exception):
    """The run was interrupted (Ctrl-C): what was under way stops without loading."""


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


def refusal(exc: BaseException) -> Optional[ApiError]:
    """The API's refusal (402 or 403) anywhere in the exception chain dlt wraps, if that is
    what ended a family."""
    return next((e for e in chain(exc) if isinstance(e, ApiError) and e.refused), None)


def bad_value(exc: ConfigValueCannotBeCoercedException, section: str) -> str:
    """A setting dlt could not read as its type, under the variable a user sets."""
    name = f"SOURCES__{section.upper()}__{exc.field_name.upper()}" if section else exc.field_name
    kinds = {int: "a whole number", float: "a number", bool: "true or false"}
    kind = kinds.get(exc.hint, f"a {getattr(exc.hint, '__name__', exc.hint)}")
    return f"{name}={str(exc.field_value)!r} is not {kind}"


@contextmanager
def named_settings(section: str) -> Iterator[None]:
    """A bad setting read here is one line under the variable a user sets (`SOURCES__<SECTION>__...`)."""
    try:
        yield
    except ConfigValueCannotBeCoercedException as exc:
        raise ConfigError(bad_value(exc, section)) from exc
