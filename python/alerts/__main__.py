"""`python -m alerts --socket PATH --config FILE`: watch a trader and send alerts.

Exit codes: 0 on SIGINT/SIGTERM, 2 on a configuration error (named, secrets never shown).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

import uvloop

from alerts import AlertManager, ConfigError, load_config, throttle_for
from alerts.watcher import Watcher


async def _main(socket_path: str, config: Path) -> int:
    try:
        cfg = load_config(config)
    except (ConfigError, OSError) as e:
        print(f"alerts: {e}", file=sys.stderr)
        return 2
    if not cfg.senders:
        print("alerts: no pushover or webhook section: nothing would be sent", file=sys.stderr)
        return 2
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with AlertManager(cfg.senders, throttle=throttle_for(cfg)) as am:
        watcher = Watcher(socket_path, am, cfg)
        async with asyncio.TaskGroup() as tg:
            task = tg.create_task(watcher.run())
            print(f"alerts: watching {socket_path} via "
                  f"{', '.join(s.name for s in cfg.senders)}", file=sys.stderr, flush=True)
            await stop.wait()
            task.cancel()
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m alerts", description=__doc__)
    ap.add_argument("--socket", required=True, help="the trader's IPC socket")
    ap.add_argument("--config", required=True, type=Path, help="TOML or JSON with [alerts]")
    ap.add_argument("--log-level", default="info")
    args = ap.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        return uvloop.run(_main(args.socket, args.config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
