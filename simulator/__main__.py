"""Run the simulator in the foreground (`python -m pipelines simulator`)."""

from typing import Tuple

from aiohttp import web

from pipelines.simulator.campaign_cleaner import CleanerWorkspace
from pipelines.simulator.instantly import instantly_app
from pipelines.simulator.server import DEFAULT_API_KEY, SimulatorState, parse_faults
from pipelines.simulator.placement import PlacementWorkspace
from pipelines.simulator.workspace import Workspace


def serve(
    port: int,
    campaigns: int,
    tests: int,
    days: int,
    seed: int,
    rate_limit: float,
    latency_ms: Tuple[float, float],
    faults: str = "",
) -> None:
    state = SimulatorState(rate_limit=rate_limit, seed=seed)
    state.faults = parse_faults(faults)
    state.faults.latency_s = (latency_ms[0] / 1000, latency_ms[1] / 1000)
    app = instantly_app(
        Workspace(campaigns=campaigns, days=days, seed=seed),
        state,
        PlacementWorkspace(tests=tests, days=days, seed=seed),
        cleaner := CleanerWorkspace(seed=seed),
    )
    print(
        f"simulator on http://127.0.0.1:{port} (Instantly key: {DEFAULT_API_KEY},"
        f" Campaign Cleaner key: {cleaner.api_key}, jobs: {', '.join(cleaner.jobs)})",
        flush=True,
    )
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
