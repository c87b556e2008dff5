"""What a load did: per resource, per family of each workspace, and for the whole load.

Data only: the console words them (`pipelines.console`), the run ledger records them.
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional

import pendulum

from pipelines.common.sources import SourceSpec
from pipelines.common.tracking import RunStats


@dataclass
class ResourceReport:
    """One resource's load: the rows of its tables, and what it asked of the API."""

    name: str
    rows: int
    requests: int
    seconds: float
    retries: int = 0
    throttled: int = 0


@dataclass
class RunReport:
    """What one run of a source loaded and asked for: per table, per service and per resource."""

    rows: Dict[str, int] = field(default_factory=dict)
    requests: Dict[str, int] = field(default_factory=dict)
    resources: List[ResourceReport] = field(default_factory=list)
    seconds: float = 0.0
    pending_rows: Optional[int] = None
    """Rows of a load package an earlier run left pending, finished before this run's extract."""
    stats: RunStats = field(default_factory=RunStats)
    """Everything the source counted, per endpoint included (for the bench)."""

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def skipped(self) -> List[str]:
        """One line per item the source skipped while the rest loaded."""
        return self.stats.skipped


@dataclass
class FamilyResult:
    """How one family of one workspace ended in a run: a row of the run ledger."""

    spec: SourceSpec
    status: str
    """`ok`, `unsupported` (the workspace does not allow it), `failed` or `skipped`."""
    started_at: pendulum.DateTime
    ended_at: pendulum.DateTime
    stats: RunStats
    """What it asked of the APIs, whether it loaded or not."""
    report: Optional[RunReport] = None
    cause: str = ""
    """The one line saying why it is not `ok` (the error, or what would enable it)."""
    whole_workspace: bool = False
    """It failed because its workspace could not be read at all (one line for every family)."""


@dataclass
class LoadOutcome:
    """What a load did: one result per family of each workspace."""

    results: List[FamilyResult] = field(default_factory=list)
    interrupted: bool = False
    """Ctrl-C stopped the load: the families that had not finished failed, keeping nothing."""

    @property
    def reports(self) -> List[RunReport]:
        return [r.report for r in self.results if r.report is not None]

    @property
    def failed(self) -> List[FamilyResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def rows(self) -> int:
        return sum(r.total_rows + (r.pending_rows or 0) for r in self.reports)

    @property
    def requests(self) -> int:
        """Every request made, by families that loaded and by those that did not."""
        return sum(service.total for r in self.results for service in r.stats.services.values())

    @property
    def tables(self) -> int:
        return len({table for r in self.reports for table in r.rows})
