"""The one place for date semantics: UTC days, inclusive ranges, and how a range is asked for.

Instantly buckets analytics by UTC day. Its docs do not say whether `end_date` is inclusive:
a date-only `end_date=D` "is treated as D T00:00:00.000Z", which would cut off most of day D if
compared as an instant, while a sibling endpoint is inclusive on calendar dates. And
`start_date == end_date` may be refused ("Start Date must be earlier than End Date").

The safest reading, used for every request: ask for the inclusive UTC day range
[first, last] as `start_date = first T00:00:00.000Z` and `end_date = last T23:59:59.999Z`.
Compared as instants, that covers exactly those days; normalised to calendar dates, it is
exactly [first, last] too; and start is always earlier than end, even for a single day.
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import dlt
import pendulum
from pendulum import Date, DateTime

from pipelines.common.errors import ConfigError


def utc_today() -> Date:
    """Today in UTC, whatever the machine's local time zone (cron hosts differ)."""
    return pendulum.now("UTC").date()


def parse_day(value: object, setting: str) -> Date:
    """A `YYYY-MM-DD` setting as a date, or one clear error naming the setting."""
    text = str(value).strip()
    try:
        parsed = pendulum.parse(text, exact=True)
    except ValueError:
        parsed = None
    if not isinstance(parsed, Date) or isinstance(parsed, pendulum.DateTime):
        raise ConfigError(f"{setting} must be a date like 2026-01-31, got {text!r}")
    return parsed


def parse_day_range(value: str, setting: str) -> Tuple[Date, Date]:
    """`FROM[:TO]` as an inclusive UTC day range; TO defaults to today and may not be later."""
    first_text, _, last_text = str(value).partition(":")
    first = parse_day(first_text, setting)
    last = parse_day(last_text, setting) if last_text.strip() else utc_today()
    if last < first:
        raise ConfigError(f"{setting} {value}: the last day is before the first")
    if last > utc_today():
        raise ConfigError(f"{setting} {value}: {last} is after today ({utc_today()} UTC)")
    return first, last


def parse_instant(value: str) -> DateTime:
    """An ISO 8601 timestamp from an API answer, in UTC."""
    parsed = pendulum.parse(value)
    if not isinstance(parsed, DateTime):
        raise ValueError(f"not a timestamp: {value!r}")
    return parsed.in_timezone("UTC")


def days_between(first: Date, last: Date) -> List[Date]:
    """Every UTC day from `first` to `last`, both included."""
    return [first.add(days=n) for n in range((last - first).days + 1)]


def day_start(day: Date) -> str:
    """The first instant of a UTC day, as the API writes timestamps."""
    return f"{day.isoformat()}T00:00:00.000Z"


def day_end(day: Date) -> str:
    """The last instant (millisecond) of a UTC day."""
    return f"{day.isoformat()}T23:59:59.999Z"


def window_params(first: Date, last: Date) -> Dict[str, str]:
    """The API's `start_date`/`end_date` for the inclusive UTC day range [first, last]."""
    return {"start_date": day_start(first), "end_date": day_end(last)}


@dataclass(frozen=True)
class DayWindow:
    """Which UTC days a source asks for: the one place its date settings are read and checked.

    The first run backfills from `first_day`; each later run asks from the last loaded day minus
    `lookback_days` up to `last_day` (END_DATE) or today. A `backfill` range replaces that for
    one run: those days are asked whatever the cursors say, and the cursors stay where they were.
    """

    first_day: Date
    last_day: Optional[Date]
    lookback_days: int
    backfill: Optional[Tuple[Date, Date]] = None

    @classmethod
    def from_settings(
        cls,
        section: str,
        start_date: Optional[str],
        end_date: Optional[str],
        lookback_days: int,
        backfill: Optional[str],
        default_days: int,
    ) -> "DayWindow":
        prefix = f"SOURCES__{section.upper()}__"
        today = utc_today()
        first = parse_day(start_date, f"{prefix}START_DATE") if start_date else today.subtract(days=default_days)
        if first > today:
            raise ConfigError(
                f"{prefix}START_DATE {first} is after today ({today} UTC):"
                " set a day in the past (a later day would hold the cursor there)"
            )
        last = parse_day(end_date, f"{prefix}END_DATE") if end_date else None
        if last and last < first:
            raise ConfigError(f"{prefix}END_DATE is before {prefix}START_DATE")
        if int(lookback_days) < 0:
            raise ConfigError(f"{prefix}LOOKBACK_DAYS must be 0 or more")
        days = parse_day_range(backfill, "--backfill") if backfill else None
        return cls(first, days[1] if days else last, int(lookback_days), days)

    def cursor(self, column: str = "date") -> dlt.sources.incremental:
        """The day cursor of a resource: a lagged incremental, or for a backfill a fixed range
        (with an end value dlt neither reads nor moves the stored cursor)."""
        if self.backfill:
            first, last = self.backfill
            return dlt.sources.incremental(
                column, initial_value=first.isoformat(), end_value=last.isoformat(), range_end="closed"
            )
        return dlt.sources.incremental(column, initial_value=self.first_day.isoformat(), lag=self.lookback_days)

    @property
    def date_to(self) -> Optional[str]:
        """The last instant asked for, when the window does not end today."""
        return day_end(self.last_day) if self.last_day else None


def pull_range(cursor_start: object, end_day: Optional[Date] = None) -> List[Date]:
    """The days a run asks for: from the incremental cursor's start (the configured start date
    on the first run, the last loaded day minus the lookback later) up to `end_day` or today.
    """
    first = Date.fromisoformat(str(cursor_start)[:10])
    last = end_day or utc_today()
    return days_between(first, last) if first <= last else []
