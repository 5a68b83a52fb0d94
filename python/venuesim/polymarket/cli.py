"""`python -m venuesim polymarket --host H --port N [--seed S] [--accounts FILE]
[--speed X] [--faults SPEC]`: serve the simulator and print one ready JSON line.

The accounts file's wallets are funded on the local chain before the ready line:
`collateral` in pUSD, `usdc` in USDC.e (to wrap through the Onramp), and every trading
approval set when `approved` is true."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from datetime import datetime
from typing import Any

from aiohttp import web

from .chain.node import AdminTxFailed
from .faults import Faults, FaultSpecError, parse_spec
from .server import build_app, urls
from .sim import Sim


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m venuesim polymarket")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--accounts", help='JSON {"wallets":[{"address","collateral","usdc",'
                                      '"approved"}]}')
    p.add_argument("--speed", type=float, default=1.0, help="sim seconds per real second")
    p.add_argument("--faults", default="", help="e.g. http_500=0.1,ws_market=stall")
    p.add_argument("--start-time", help="sim start, ISO 8601 UTC (default: now)")
    p.add_argument("--page-size", type=int, default=100)
    p.add_argument("--heartbeat-timeout", type=float, default=10.0,
                   help="real seconds without an accepted heartbeat before cancel-all")
    p.add_argument("--ws-idle-timeout", type=float, default=60.0)
    p.add_argument("--no-flow", action="store_true", help="no background makers/takers")
    return p


def _load_accounts(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    wallets = data.get("wallets") if isinstance(data, dict) else None
    if not isinstance(wallets, list):
        raise ValueError("accounts file needs {\"wallets\": [...]}")
    for w in wallets:
        if not isinstance(w, dict) or not isinstance(w.get("address"), str):
            raise ValueError("every wallet needs an address")
    return wallets


async def _serve(args: argparse.Namespace, sim: Sim) -> None:
    app = build_app(sim)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    port = args.port
    for addr in runner.addresses:  # the bound (host, port), so --port 0 works
        port = int(addr[1])
        break
    sim.urls = urls(args.host, port)
    print(json.dumps({"venue": "polymarket", "ready": True, "urls": sim.urls}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.speed <= 0:
        print("--speed must be positive", file=sys.stderr)
        return 2
    start = None
    if args.start_time:
        try:
            start = datetime.fromisoformat(args.start_time.replace("Z", "+00:00")).timestamp()
        except ValueError:
            print(f"bad --start-time {args.start_time!r}", file=sys.stderr)
            return 2
    try:
        faults = parse_spec(args.faults)
        Faults().update(faults)
        wallets = _load_accounts(args.accounts) if args.accounts else []
    except (FaultSpecError, OSError, ValueError) as exc:
        print(f"polymarket simulator: {exc}", file=sys.stderr)
        return 2
    sim = Sim(args.seed, args.speed, start_s=start, page_size=args.page_size,
              heartbeat_timeout_s=args.heartbeat_timeout,
              ws_idle_timeout_s=args.ws_idle_timeout, flow=not args.no_flow)
    sim.faults.update(faults)
    sim.hub.apply_faults()
    try:
        if sim.faults.onramp_paused:
            sim.chain.call_sync(sim._set_onramp_paused, True)
        sim.fund(wallets)
    except (KeyError, ValueError, ArithmeticError, AdminTxFailed) as exc:
        print(f"polymarket simulator: bad accounts file: {exc}", file=sys.stderr)
        sim.close()
        return 2
    asyncio.run(_serve(args, sim))
    return 0
