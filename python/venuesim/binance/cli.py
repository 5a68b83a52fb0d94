"""`python -m venuesim binance --host H --port N [--seed S] [--accounts FILE] [--speed X]
[--faults SPEC] [--weight-limit N] [--no-flow]`: run the simulator, print one ready line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path

from aiohttp import web

from .accounts import AccountsFileError, load_accounts
from .faults import FaultSpecError, parse_spec
from .server import SimConfig, Simulator


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m venuesim binance",
                                     description="Binance Spot wire-level simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--accounts", type=Path, help="JSON accounts file")
    parser.add_argument("--speed", type=positive_float, default=1.0,
                        help="simulated seconds per wall second (flow, pings, 24 h lifetime)")
    parser.add_argument("--faults", default="", help="fault spec, see venuesim.binance.faults")
    parser.add_argument("--weight-limit", type=int, default=6000,
                        help="REQUEST_WEIGHT per minute per IP")
    parser.add_argument("--no-flow", action="store_true",
                        help="start with the background flow paused (POST /_sim/flow)")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> int:
    try:
        accounts = tuple(load_accounts(args.accounts)) if args.accounts else ()
        faults = parse_spec(args.faults) if args.faults else None
    except (AccountsFileError, FaultSpecError) as exc:
        print(f"venuesim binance: {exc}", file=sys.stderr)
        return 2
    sim = Simulator(SimConfig(seed=args.seed, speed=args.speed, accounts=accounts,
                              faults=faults, weight_limit=args.weight_limit,
                              flow=not args.no_flow))
    runner = web.AppRunner(sim.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    try:
        await site.start()
    except OSError as exc:
        print(f"venuesim binance: cannot listen on {args.host}:{args.port}: {exc}",
              file=sys.stderr)
        await runner.cleanup()
        return 1
    port = runner.addresses[0][1]
    host = args.host
    print(json.dumps({"venue": "binance", "ready": True, "urls": {
        "rest": f"http://{host}:{port}",
        "ws_streams": f"ws://{host}:{port}",
        "ws_api": f"ws://{host}:{port}/ws-api/v3",
    }}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    background = asyncio.create_task(sim.background())
    try:
        await stop.wait()
    finally:
        background.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await background
        await sim.close()
        await runner.cleanup()
    return 0


def main(argv: list[str]) -> int:
    return asyncio.run(serve(parse_args(argv)))
