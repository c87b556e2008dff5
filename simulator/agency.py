"""Several Instantly workspaces behind one address, as an agency sees them: each key reaches its
own workspace, with its own data, rate limit, faults and request log. Optionally a workspace group:
an admin key that lists the member workspaces and acts on one with `x-as-workspace`."""

import random
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional

from aiohttp import web

from simulator.server import DEFAULT_API_KEY, error_body, json_response, page_of, parse_faults


def agency_key(n: int) -> str:
    """The key of the n-th workspace (from 1) of an agency (`python -m simulator --agency N`)."""
    return f"{DEFAULT_API_KEY}-{n}"


def varied_size(n: int, typical: int) -> int:
    """How many campaigns (or tests) the n-th client has when an agency's clients differ
    (`--varied`): `typical` times a long-tailed factor (log-normal, from a tenth to four times),
    the same for the same n on every run. Most clients are small, a few are large."""
    factor = min(4.0, max(0.1, random.Random(n).lognormvariate(-0.2, 0.8)))
    return max(1, round(typical * factor))


@dataclass
class WorkspaceGroup:
    """An admin key and its members: each member's workspace id, name and own key."""

    admin_key: str
    members: Dict[str, dict] = field(default_factory=dict)  # id -> {"name": ..., "key": ...}

    def listed(self) -> list:
        """`GET /workspace-group-members` items."""
        stamp = "2026-01-05T10:00:00.000Z"
        return [
            {"id": f"member-{n}", "admin_workspace_id": "admin-workspace", "sub_workspace_id": workspace_id,
             "status": "accepted", "timestamp_created": stamp, "timestamp_updated": stamp,
             "sub_workspace_name": member["name"], "admin_workspace_name": "Agency HQ"}
            for n, (workspace_id, member) in enumerate(sorted(self.members.items()), start=1)
        ]


def agency_app(workspaces: Mapping[str, web.Application], group: Optional[WorkspaceGroup] = None) -> web.Application:
    """Routes each request to the app of the workspace its bearer key belongs to (each made by
    `simulator_app` with its own `SimulatorState`); an unknown key is the API's 401. The group's
    admin key lists the members, and reaches a member's app when it names it in `x-as-workspace`."""
    for app in workspaces.values():
        app.freeze()

    async def dispatch(request: web.Request) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        key = header[len("Bearer "):] if header.startswith("Bearer ") else ""
        if group is not None and key == group.admin_key:
            if request.path == "/api/v2/workspace-group-members":
                return json_response(page_of(request, group.listed(), parse_faults("")))
            member = group.members.get(request.headers.get("x-as-workspace", ""))
            if member is None:
                return error_body(403, "Forbidden", "x-as-workspace must name a member of the workspace group")
            request = request.clone(headers={**request.headers, "Authorization": f"Bearer {member['key']}"})
            key = member["key"]
        app = workspaces.get(key)
        if app is None:
            return error_body(401, "Unauthorized", "Invalid API key")
        return await app._handle(request)  # noqa: SLF001 - the workspace app's own routing and middleware

    front = web.Application()
    front.router.add_route("*", "/{tail:.*}", dispatch)
    return front
