"""What a source gives the engine: its families, and a plan of specs to load.

Real workspaces lack add-ons and keys lack scopes, and endpoints fail. Each family loads on a
pipeline of its own (its own cursors, its own load packages), so what one workspace does not
allow, or one broken endpoint, stops that family alone: the others load, and the run ledger
says what did not and why. Each source folder declares its families and builds its specs
(`<source>/plan.py`); the engine loads specs without knowing any source.
"""

from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple

import dlt
from dlt.sources import DltSource

from pipelines.common.errors import ApiError
from pipelines.common.tracking import RunStats

PIPELINE_NAME = "deliverability"
"""The warehouse's pipeline name: its working directory, and the prefix of every family's pipeline.
Also the key of the pipeline's state in the warehouse (`_dlt_pipeline_state`): kept stable, so a
warehouse loaded by an earlier version continues from its cursors."""
DEFAULT_LABEL = "default"
"""The workspace label of the single key's rows and ledger rows (and of a source with no workspaces)."""


@dataclass(frozen=True)
class Family:
    """Tables loaded, or not, together."""

    name: str
    """Its key in the run ledger and in pipeline names."""
    title: str
    """How output lines and the report name it."""
    source: str
    """The dlt source (and settings section) its resources belong to."""
    resources: Tuple[str, ...]
    required: bool = False
    """A workspace that refuses a required family fails, as a revoked key does."""
    paid_by: str = "the plan"
    """What an HTTP 402 (payment required) on its endpoints says is missing."""
    schema_name: Optional[str] = None
    """Its dlt schema when not `<source>_<name>`: a source loaded whole, under its own name."""

    def unsupported_because(self, error: ApiError) -> str:
        """What would enable the family, from the refusal (402: the add-on or plan; 403: the
        key's missing scope)."""
        if error.status == 402:
            return f"needs {self.paid_by}"
        if error.scope:
            return f"needs the {error.scope} scope on the key"
        return "needs a scope the key lacks (the API answered 403)"

    def pipeline(self, label: Optional[str] = None) -> str:
        """The pipeline (so the state) of this family of one workspace: `deliverability-<family>`
        for the single key, `deliverability-<label>-<family>` for an agency's workspace."""
        return "-".join(filter(None, (PIPELINE_NAME, label, self.name)))

    @property
    def schema(self) -> str:
        """The name of its dlt schema (`of`), and of the dbt source declaring its tables."""
        return self.schema_name or f"{self.source}_{self.name}"

    def of(self, source: DltSource) -> DltSource:
        """This family's resources of `source`, as a source (and schema) named after the family."""
        return source.with_resources(*self.resources).clone(with_name=self.schema)


BeforeMerge = Callable[[dlt.Pipeline, str], None]
"""A source's fix-up of the rows already in the warehouse, made before this run's rows merge:
given the pipeline and the source's schema name."""


@dataclass(frozen=True)
class SourceSpec:
    """One family of one account to load: its settings section (`sources.<section>`), a factory
    of its source, and the pipeline (so the state) it loads with. A source's bad settings fail
    it alone, reported under its own variable names.

    `label`: the workspace, named on output lines in agency mode (None: the single key).
    `workspace_id`: the workspace's id, for the ledger.
    `before_merge`: the source's fix-up of earlier rows, under the warehouse's write lock."""

    section: str
    make: Callable[[RunStats], DltSource]
    family: Family
    pipeline_name: str = PIPELINE_NAME
    label: Optional[str] = None
    workspace_id: Optional[str] = None
    before_merge: Optional[BeforeMerge] = None

    @property
    def workspace(self) -> str:
        """The workspace label of its ledger rows (`default` for the single key)."""
        return self.label or DEFAULT_LABEL


@dataclass
class Plan:
    """What a run loads: the specs, and how many of their pipelines may extract at once (the
    sources' own settings say: Instantly's `PARALLEL_WORKSPACES`). Plans of several sources add up."""

    specs: List[SourceSpec] = field(default_factory=list)
    parallel: int = 1

    def __add__(self, other: "Plan") -> "Plan":
        return Plan(self.specs + other.specs, self.parallel + other.parallel)
