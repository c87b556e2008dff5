"""The one retry policy: which failures are transient and how long to wait before trying again."""

import random
from dataclasses import dataclass
from typing import Optional

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def is_retryable_status(status: int) -> bool:
    """429 and 5xx are transient; other 4xx say the request itself must change."""
    return status in RETRYABLE_STATUSES or status >= 500


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, capped, for a bounded number of attempts.

    The jitter (a random wait between half and all of the backoff) spreads the retries of many
    concurrent requests that failed together, so they
    do not hit the shared workspace budget again in one burst.
    """

    max_attempts: int = 6
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0

    def delay(self, attempt: int, retry_after: Optional[str] = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None:
            try:
                return min(max(float(retry_after), 0.0), self.max_delay_s)
            except ValueError:
                pass  # an HTTP-date or garbage: fall back to backoff
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


DEFAULT_RETRY = RetryPolicy()
