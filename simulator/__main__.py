"""`python -m simulator`: the fake APIs in the foreground, e.g. to try a setup against them."""

import argparse
from typing import Dict, List, Optional, Tuple

from aiohttp import web

from simulator.accounts import AccountsWorkspace
from simulator.agency import agency_app, agency_key, varied_size
from simulator.app import simulator_app
from simulator.campaign_cleaner import CleanerWorkspace
from simulator.placement import PlacementWorkspace
from simulator.server import DEFAULT_API_KEY, SimulatorState, parse_faults
from simulator.workspace import WORKSPACES


def serve(
    port: int,
    campaigns: int,
    tests: int,
    days: int,
    seed: int,
    rate_limit: float,
    latency_ms: Tuple[float, float],
    faults: str = "",
    workspace: str = "dense",
    agency: int = 0,
    workspace_faults: Optional[Dict[int, str]] = None,
    varied: bool = False,
) -> None:
    def one(
        api_key: str, seed: int, cleaner: Optional[CleanerWorkspace], own_faults: str = "",
        campaigns: int = campaigns, tests: int = tests,
    ) -> web.Application:
        state = SimulatorState(api_key=api_key, rate_limit=rate_limit, seed=seed)
        state.faults = parse_faults(own_faults, base=parse_faults(faults))
        state.faults.latency_s = (latency_ms[0] / 1000, latency_ms[1] / 1000)
        accounts = AccountsWorkspace(accounts=max(campaigns, 1), days=days, seed=seed)
        return simulator_app(
            WORKSPACES[workspace](campaigns=campaigns, days=days, seed=seed),
            state,
            PlacementWorkspace(tests=tests, days=days, seed=seed, senders=accounts.emails, sender_esps=accounts.sender_esps()),
            cleaner,
            accounts,
        )

    if agency:
        own = workspace_faults or {}
        app = agency_app({
            agency_key(n): one(agency_key(n), seed + n, None, own.get(n, ""), *(
                (varied_size(n, campaigns), varied_size(n, tests)) if varied else (campaigns, tests)))
            for n in range(1, agency + 1)
        })
        keys = f"Instantly keys: {agency_key(1)} ... {agency_key(agency)}, one workspace each"
    else:
        app = one(DEFAULT_API_KEY, seed, cleaner := CleanerWorkspace(seed=seed))
        keys = (f"Instantly key: {DEFAULT_API_KEY}, Campaign Cleaner key: {cleaner.api_key},"
                f" jobs: {', '.join(cleaner.jobs)}")
    print(f"simulator on http://127.0.0.1:{port} ({keys})", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def main(argv: Optional[List[str]] = None) -> None:
    p = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    p.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765)")
    p.add_argument("--workspace", choices=sorted(WORKSPACES), default="dense",
                   help="dense: most campaigns send every day (default); sparse: most are idle on most days")
    p.add_argument("--agency", type=int, default=0, metavar="N",
                   help="serve N workspaces, keys simulator-key-1 ... -N, each with its own data and rate limit")
    p.add_argument("--varied", action="store_true",
                   help="with --agency, clients of different sizes: campaigns and tests vary from a tenth"
                        " to four times --campaigns and --tests, most clients small (simulator.agency.varied_size)")
    p.add_argument("--campaigns", type=int, default=8, help="simulated campaigns (default 8)")
    p.add_argument("--tests", type=int, default=4, help="inbox placement tests (default 4)")
    p.add_argument("--days", type=int, default=30, help="simulated days of history (default 30)")
    p.add_argument("--seed", type=int, default=7, help="random seed of the simulated data")
    p.add_argument("--rate-limit", type=float, default=100.0, help="workspace requests/second")
    p.add_argument("--latency-ms", type=float, nargs=2, default=(0.0, 0.0), metavar=("MIN", "MAX"),
                   help="uniform latency per request")
    p.add_argument(
        "--faults", default="", metavar="NAME=VALUE,...",
        help="misbehave on purpose, e.g. server_error_rate=0.1,throttle_rate=0.05,drop_rate=0.01,"
             "page_size=5,refuse_default_agents=true (every field of simulator.server.Faults)",
    )
    p.add_argument(
        "--workspace-faults", action="append", default=[], metavar="N:NAME=VALUE,...",
        help="with --agency, faults of workspace N alone, over --faults; repeat for others, e.g."
             " --workspace-faults 2:no_placement_addon=true --workspace-faults 3:failing_path=/api/v2/accounts",
    )
    args = p.parse_args(argv)
    own = workspace_faults(p, args.workspace_faults, args.agency)
    serve(args.port, args.campaigns, args.tests, args.days, args.seed, args.rate_limit,
          (args.latency_ms[0], args.latency_ms[1]), args.faults, args.workspace, args.agency, own, args.varied)


def workspace_faults(p: argparse.ArgumentParser, given: List[str], agency: int) -> Dict[int, str]:
    """`--workspace-faults N:...` by workspace number; a bad one is the parser's error."""
    own: Dict[int, str] = {}
    for text in given:
        number, _, faults = text.partition(":")
        if not number.strip().isdigit() or not 1 <= int(number) <= agency:
            p.error(f"--workspace-faults {text!r}: start with a workspace number from 1 to --agency ({agency})")
        try:
            parse_faults(faults)
        except ValueError as exc:
            p.error(f"--workspace-faults {text!r}: {exc}")
        own[int(number)] = ",".join(filter(None, (own.get(int(number)), faults)))
    return own


if __name__ == "__main__":
    main()
