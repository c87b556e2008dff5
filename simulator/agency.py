"""Several Instantly workspaces behind one address, as an agency sees them: each key reaches its
own workspace, with its own data, rate limit, faults and request log."""

from typing import Mapping

from aiohttp import web

from simulator.server import error_body


def agency_app(workspaces: Mapping[str, web.Application]) -> web.Application:
    """Routes each request to the app of the workspace its bearer key belongs to (each made by
    `simulator_app` with its own `SimulatorState`); an unknown key is the API's 401."""
    for app in workspaces.values():
        app.freeze()

    async def dispatch(request: web.Request) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        app = workspaces.get(header[len("Bearer "):]) if header.startswith("Bearer ") else None
        if app is None:
            return error_body(401, "Unauthorized", "Invalid API key")
        return await app._handle(request)  # noqa: SLF001 - the workspace app's own routing and middleware

    front = web.Application()
    front.router.add_route("*", "/{tail:.*}", dispatch)
    return front
