"""python -m recorder --socket PATH --dsn DSN [--redis URL] [--source NAME]

Follows trader's journal into Postgres until SIGINT/SIGTERM (see recorder/recorder.py)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

import uvloop

from recorder.recorder import Recorder


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m recorder", description=__doc__)
    ap.add_argument("--socket", required=True, help="trader's IPC socket")
    ap.add_argument("--dsn", required=True, help="Postgres DSN, e.g. postgresql://u@host/db")
    ap.add_argument("--redis", default=None, help="Redis URL for the live event stream")
    ap.add_argument("--stream", default="trader:events", help="Redis stream name")
    ap.add_argument("--source", default="trader",
                    help="name of this trader's journal in the record (one per trader)")
    ap.add_argument("--batch", type=int, default=2000, help="max records per transaction")
    ap.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return ap.parse_args(argv)


async def _main(ns: argparse.Namespace) -> int:
    rec = Recorder(ns.socket, ns.dsn, source=ns.source, redis_url=ns.redis, stream=ns.stream,
                   batch_max=ns.batch)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(rec.run())
        await stop.wait()
        task.cancel()
    return 0


def main(argv: list[str] | None = None) -> int:
    ns = _args(argv)
    logging.basicConfig(level=ns.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s recorder %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        return uvloop.run(_main(ns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
