"""The errors that end a run or a source with one line naming what to fix.

Apart from the HTTP client, so date parsing, the run lock and dbt can raise them without
importing the client.
"""

from typing import Optional


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
