"""`python -m dashboard --socket PATH --port N --token-env DASHBOARD_TOKEN`

Serves the dashboard on 127.0.0.1:N (0 picks a free port) and prints one JSON line when ready:
{"url": "http://127.0.0.1:PORT/"} (the token is not in it: open URL + "?token=..." yourself).
The token comes from the named environment variable only and must be >= 16 characters.
Exit codes: 0 on SIGINT/SIGTERM, 2 on a bad token or a port that cannot be bound.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys

import uvloop
from aiohttp import web

from dashboard.app import make_app
from dashboard.source import TraderSource

HOST = "127.0.0.1"  # never anything else: the kill button must not be reachable off-box


async def _main(socket_path: str, port: int, token: str, poll_s: float) -> int:
    source = TraderSource(socket_path, poll_s=poll_s)
    app = make_app(source, token)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, HOST, port)
        try:
            await site.start()
        except OSError as e:
            print(f"dashboard: cannot listen on {HOST}:{port}: {e}", file=sys.stderr)
            return 2
        bound = runner.addresses[0][1]
        print(json.dumps({"url": f"http://{HOST}:{bound}/"}), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with asyncio.TaskGroup() as tg:
            feed = tg.create_task(source.run(), name="dashboard-source")
            await stop.wait()
            feed.cancel()
    finally:
        await runner.cleanup()
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dashboard", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--socket", required=True, help="the trader's IPC socket")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--token-env", default="DASHBOARD_TOKEN",
                    help="name of the environment variable holding the access token")
    ap.add_argument("--poll-s", type=float, default=1.0, help="status poll interval")
    ap.add_argument("--log-level", default="info")
    args = ap.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    token = os.environ.get(args.token_env, "")
    if len(token) < 16:
        print(f"dashboard: environment variable {args.token_env} must hold a token of at least"
              " 16 characters", file=sys.stderr)
        return 2
    return uvloop.run(_main(args.socket, args.port, token, args.poll_s))


if __name__ == "__main__":
    sys.exit(main())
