"""The simulator's aiohttp app: the fake Instantly API v2 (campaigns, inbox placement, accounts) and the
fake Campaign Cleaner API behind one middleware (log, latency, rate limit, auth, faults)."""

from typing import Optional

from aiohttp import web

from simulator.account_routes import add_account_routes
from simulator.accounts import AccountsWorkspace
from simulator.campaign_cleaner import CleanerWorkspace, add_cleaner_routes, cleaner_authorize
from simulator.campaign_routes import add_campaign_routes
from simulator.placement import PlacementWorkspace
from simulator.placement_routes import add_placement_routes
from simulator.server import SimulatorState, error_body, make_middleware
from simulator.tags import TagsWorkspace, add_tag_routes
from simulator.workspace import Workspace


def simulator_app(
    ws: Workspace,
    state: SimulatorState,
    placement: Optional[PlacementWorkspace] = None,
    cleaner: Optional[CleanerWorkspace] = None,
    accounts: Optional[AccountsWorkspace] = None,
    tags: Optional[TagsWorkspace] = None,
) -> web.Application:
    """Every endpoint the pipeline reads: Instantly's under /api/v2/ (bearer key), Campaign
    Cleaner's under /v1/ (its own key header). Without `tags`, the workspace's campaigns and
    mailboxes are tagged as `TagsWorkspace` does by default."""

    def authorize(request: web.Request) -> Optional[web.Response]:
        if request.path.startswith("/v1/") and cleaner is not None:
            return cleaner_authorize(cleaner, request)
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return error_body(401, "Unauthorized", "Missing Authorization header")
        if header[len("Bearer "):] != state.api_key:
            return error_body(401, "Unauthorized", "Invalid API key")
        return None

    if accounts is not None:
        accounts.organization = ws.id  # the rows' owner is the workspace /workspaces/current names
    app = web.Application(middlewares=[make_middleware(state, authorize)])
    add_campaign_routes(app, ws, state)
    if placement is not None:
        add_placement_routes(app, placement, state)
    if cleaner is not None:
        add_cleaner_routes(app, cleaner, state)
    if accounts is not None:
        add_account_routes(app, accounts, state)
    add_tag_routes(app, tags or TagsWorkspace.of(ws, accounts), state)
    return app
