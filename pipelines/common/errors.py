"""The errors that end a run or a source with one line naming what to fix.

Apart from the HTTP client, so date parsing, the run lock and dbt can raise them without
importing the client.
"""

from typing import Optional


class ConfigError(ValueError):
    """A setting is missing or unusable; the message is one line naming it."""


class ApiError(Exception):
    """A request failed for good. The message is one line naming the endpoint and what to fix."""

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status
