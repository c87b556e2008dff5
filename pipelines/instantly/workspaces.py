"""Which Instantly workspaces a run loads, and the workspace every row belongs to.

The single-key form (`SOURCES__INSTANTLY__API_KEY`) is one workspace labelled `default`. An agency
sets `SOURCES__INSTANTLY__WORKSPACES` instead: `{"<label>": "<api key>", ...}` (a JSON object in
the variable, or a table in `.dlt/secrets.toml`). Instantly's rate limit is per workspace, so each
gets its own client and limiter, its own pipeline state, and loads alongside the others.
"""

import asyncio
import functools
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable, Dict, List, Mapping, Optional

import dlt

from pipelines.common.client import ApiClient, make_client
from pipelines.common.concurrency import Shared
from pipelines.common.errors import ApiError, ConfigError
from pipelines.common.pagination import paginate
from pipelines.common.rate_limit import SharedBudget
from pipelines.common.tracking import RequestStats, RunStats
from pipelines.instantly import settings

log = logging.getLogger(__name__)
SETTING = "SOURCES__INSTANTLY__WORKSPACES"
GROUP_SETTING = "SOURCES__INSTANTLY__WORKSPACE_GROUP_KEY"


@dataclass(frozen=True)
class WorkspaceKey:
    """One workspace to load: its label (ours) and its key (a secret, never printed)."""

    label: str
    api_key: str
    as_workspace: Optional[str] = None
    """A member of a workspace group, reached with the group's admin key (`x-as-workspace`)."""

    @property
    def key_hint(self) -> str:
        if self.as_workspace:
            return f"Check {GROUP_SETTING} (an admin key of the workspace group; member {self.label})"
        if self.label == settings.DEFAULT_WORKSPACE_LABEL:
            return settings.KEY_HINT
        return f"Check the key of workspace {self.label!r} in {SETTING} (a v2 key with read scopes)"

    @property
    def headers(self) -> Dict[str, str]:
        """The request headers that authenticate as this workspace."""
        headers = {"Authorization": f"Bearer {self.api_key}"}
        if self.as_workspace:
            headers[settings.AS_WORKSPACE_HEADER] = self.as_workspace
        return headers

    def __repr__(self) -> str:  # the key stays out of tracebacks and logs
        return f"WorkspaceKey(label={self.label!r})"


@dataclass
class WorkspaceRun:
    """One load of one workspace's family, as the plan resolved it before loading: what the
    source needs beside the user's settings, passed as one object so its signature stays those."""

    key: WorkspaceKey
    stats: RunStats = field(default_factory=RunStats)
    """Where the load's requests, retries and seconds are counted (the engine's)."""
    workspace: Optional[dict] = None
    """The workspace the key reads (`describe_workspace`); asked by the source when not given."""
    budget: Optional[SharedBudget] = None
    """The workspace's request budget, shared with its other families loading at once."""


def single_key() -> WorkspaceKey:
    """The single-key form's one workspace (`API_KEY`), labelled `default`."""
    return WorkspaceKey(settings.DEFAULT_WORKSPACE_LABEL, str(dlt.secrets.get("sources.instantly.api_key") or "").strip())


def workspace_labels() -> Dict[str, WorkspaceKey]:
    """Each configured workspace's label with its key (agency mode, group members asked of the
    API), or `default` with the single key: the partitions an orchestrator runs."""
    keys = configured_keys(dlt.config.get("sources.instantly.base_url") or None)
    return {key.label: key for key in (keys if keys is not None else [single_key()])}


def parse_workspaces(value: Any) -> List[WorkspaceKey]:
    """`WORKSPACES` as workspace keys: a mapping (TOML table) or its JSON text (the variable).
    Anything else is one line naming the setting, with no key in it."""
    if isinstance(value, str):
        try:
            value = json.loads(value, object_pairs_hook=unique_labels)
        except json.JSONDecodeError:
            raise ConfigError(f'{SETTING} must be a JSON object like {{"acme": "<api key>"}}') from None
    if not isinstance(value, Mapping) or not value:
        raise ConfigError(f'{SETTING} must be a non-empty object like {{"acme": "<api key>"}}')
    keys = []
    for label, key in value.items():
        if not re.match(settings.WORKSPACE_LABEL, str(label)):
            raise ConfigError(
                f"{SETTING}: label {str(label)!r} must be 1-40 lowercase letters, digits, '-' or '_'"
            )
        if not isinstance(key, str) or not key.strip():
            raise ConfigError(f"{SETTING}: the key of workspace {label!r} is empty")
        keys.append(WorkspaceKey(str(label), key.strip()))
    return keys


def unique_labels(pairs: List[Any]) -> Dict[str, Any]:
    """A JSON object of `WORKSPACES`, refusing a label given twice (JSON keeps the last silently,
    which would drop a client's workspace without a word)."""
    labels = [label for label, _ in pairs]
    twice = sorted({label for label in labels if labels.count(label) > 1})
    if twice:
        raise ConfigError(
            f"{SETTING}: label {twice[0]!r} is given {labels.count(twice[0])} times: give each workspace its own label"
        )
    return dict(pairs)


async def describe_workspace(client: ApiClient) -> dict:
    """The workspace a key reads: `GET /workspaces/current`. A key without `workspaces:read`
    (403) still names its workspace: the `organization` of the first campaign or account listed
    (spec: the id of the workspace that owns the row, the id `/workspaces/current` gives). The
    answer then carries `id_from`, the endpoint the id came from, for a notice."""
    try:
        return await client.get(settings.WORKSPACE_CURRENT)
    except ApiError as exc:
        if exc.status != 403 or exc.scope is None:
            raise
        refused = exc
    for path in (settings.CAMPAIGNS, settings.ACCOUNTS):
        try:
            page = await client.get(path, {"limit": 1})
        except ApiError as exc:
            if exc.refused:
                continue
            raise
        items = page.get("items") if isinstance(page, dict) else None
        owner = items[0].get("organization") if items and isinstance(items[0], dict) else None
        if owner:
            return {"id": str(owner), "id_from": f"{path} (organization)"}
    raise ApiError(
        f"{refused}; nor does the workspace list a campaign or account whose organization names it",
        refused.status, refused.scope,
    )


class CurrentWorkspace:
    """The workspace every row of a run carries: the one the runner resolved before loading
    (`known`), or else asked once, the first time a resource needs it."""

    def __init__(self, client: ApiClient, label: str, known: Optional[dict] = None) -> None:
        self.client = client
        self.label = label
        self._current: Shared[dict] = Shared(self._fetch)
        self._known = known

    async def _fetch(self) -> dict:
        return self._known if self._known is not None else await describe_workspace(self.client)

    async def row(self) -> dict:
        """The workspace as the API describes it, with our label."""
        described = {k: v for k, v in (await self._current.get()).items() if k != "id_from"}
        return dict(described, label=self.label)

    async def id(self) -> str:
        return str((await self._current.get())["id"])


def with_workspace(item: Any, workspace_id: str) -> Any:
    """A resource's item with `workspace_id` on every row (items dlt.mark wrapped included). The
    rows are this run's own, freshly decoded, so they are stamped in place: a backfill's rows are
    never copied."""
    rows = getattr(item, "data", item)
    for row in rows if isinstance(rows, list) else [rows]:
        row["workspace_id"] = workspace_id
    return item


def stamped(
    fn: Callable[..., AsyncIterator[Any]], workspace: CurrentWorkspace
) -> Callable[..., AsyncIterator[Any]]:
    """Wraps an async generator resource so that its rows carry the workspace's id."""

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        async with workspace.client:
            async for item in fn(*args, **kwargs):
                yield with_workspace(item, await workspace.id())

    return wrapper


def preflight_client(key: WorkspaceKey, base_url: Optional[str]) -> ApiClient:
    """A client for the one `GET /workspaces/current` a run asks before loading a workspace."""
    return make_client(
        section="instantly", service="Instantly", base_url=base_url or settings.DEFAULT_BASE_URL,
        auth=key.headers, secret=key.api_key, key_hint=key.key_hint,
        max_requests_per_second=settings.DEFAULT_MAX_REQUESTS_PER_SECOND, max_concurrency=1,
        stats=RequestStats(), scopes=settings.SCOPES,
    )


async def current_workspaces(keys: List[WorkspaceKey], client_for: Callable[[WorkspaceKey], ApiClient]) -> Dict[str, Any]:
    """Each label with its workspace (`describe_workspace`), or the exception it raised: asked
    before any load, so a revoked or unpaid key fails alone, every family of a workspace stamps
    the same id, and two labels holding keys of one workspace are found."""

    async def one(key: WorkspaceKey) -> Any:
        client = client_for(key)
        async with client:
            return await describe_workspace(client)

    found = await asyncio.gather(*(one(key) for key in keys), return_exceptions=True)
    return dict(zip((key.label for key in keys), found, strict=True))


def duplicate_of(workspaces: Dict[str, Any]) -> Dict[str, str]:
    """Labels whose key points at a workspace an earlier label already holds: label -> earlier."""
    first: Dict[str, str] = {}
    duplicates: Dict[str, str] = {}
    for label, workspace in workspaces.items():
        if isinstance(workspace, dict):
            earlier = first.setdefault(str(workspace["id"]), label)
            if earlier != label:
                duplicates[label] = earlier
    return duplicates


async def group_members(admin_key: str, client_for: Callable[[WorkspaceKey], ApiClient]) -> List[WorkspaceKey]:
    """The member workspaces of the group an admin key belongs to (`GET /workspace-group-members`),
    each labelled by its id (stable, unlike its name) and reached with the admin key."""
    client = client_for(WorkspaceKey("workspace-group", admin_key))
    async with client:
        members = [item async for page in paginate(client, settings.WORKSPACE_GROUP_MEMBERS) for item in page]
    return [
        WorkspaceKey(str(member["sub_workspace_id"]).lower(), admin_key, str(member["sub_workspace_id"]))
        for member in members
    ]


def configured_keys(base_url: Optional[str], say: Optional[Callable[[str], None]] = None) -> Optional[List[WorkspaceKey]]:
    """Agency mode's workspaces: `WORKSPACES`, then the members of `WORKSPACE_GROUP_KEY`'s group
    (asked of the API); None in the single-key form. A single key set beside them is ignored,
    with a notice to `say`."""
    configured: Any = dlt.secrets.get("sources.instantly.workspaces")
    group_key = str(dlt.secrets.get("sources.instantly.workspace_group_key") or "").strip()
    if not configured and not group_key:
        return None
    if str(dlt.secrets.get("sources.instantly.api_key") or "").strip():
        which = SETTING if configured else GROUP_SETTING
        (say or log.warning)(
            f"notice: SOURCES__INSTANTLY__API_KEY is ignored: {which} is set (agency mode loads its workspaces only)"
        )
    keys = parse_workspaces(configured) if configured else []
    if group_key:
        keys += asyncio.run(group_members(group_key, lambda key: preflight_client(key, base_url)))
    return keys


WORKSPACE_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")


def adopt_unstamped_rows(workspace_id: str, pipeline: dlt.Pipeline, schema_name: str) -> None:
    """Gives `workspace_id` to the rows of `schema_name`'s tables that have none: those loaded
    before rows carried their workspace, by the single key, so all of that workspace. Run before
    a load merges on keys that now include the workspace (no row is then duplicated): the
    single key's fix-up before its rows merge (`SourceSpec.before_merge`)."""
    if schema_name not in pipeline.schemas or not WORKSPACE_ID.match(workspace_id):
        return
    roots = [str(t["name"]) for t in pipeline.schemas[schema_name].data_tables() if not t.get("parent")]
    with pipeline.sql_client() as client:
        existing = {
            row[0] for row in client.execute_sql(
                f"select table_name from information_schema.tables where table_schema = '{pipeline.dataset_name}'"
            ) or []
        }
        for name in roots:
            if name not in existing:
                continue
            table = client.make_qualified_table_name(name)
            client.execute_sql(f"alter table {table} add column if not exists workspace_id varchar")
            client.execute_sql(f"update {table} set workspace_id = '{workspace_id}' where workspace_id is null")
