"""python -m control kill REASON --redis URL [--channel C]
   python -m control publish-config FILE.json --redis URL

Operator verbs of the Redis control plane."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from control.kill import DEFAULT_CHANNEL, publish_kill
from control.screener import ConfigError, parse_config_json, publish_config


async def _run(ns: argparse.Namespace, config_text: str | None) -> int:
    if ns.cmd == "kill":
        n = await publish_kill(ns.redis, ns.reason, channel=ns.channel)
        print(json.dumps({"receivers": n}))
        if n == 0:
            print("no trader is subscribed: use the kill file or `trader ctl kill`",
                  file=sys.stderr)
            return 1
        return 0
    try:
        cfg = parse_config_json(config_text or "")
    except ConfigError as e:
        print(f"invalid config: {e}", file=sys.stderr)
        return 2
    await publish_config(ns.redis, cfg)
    print(json.dumps({"market": cfg.market, "version": cfg.version}))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m control")
    sub = ap.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("kill", help="publish the kill broadcast")
    k.add_argument("reason")
    k.add_argument("--redis", required=True)
    k.add_argument("--channel", default=DEFAULT_CHANNEL)
    c = sub.add_parser("publish-config", help="validate and publish a screener config")
    c.add_argument("file")
    c.add_argument("--redis", required=True)
    ns = ap.parse_args(argv)
    text = Path(ns.file).read_text() if ns.cmd == "publish-config" else None
    return asyncio.run(_run(ns, text))


if __name__ == "__main__":
    sys.exit(main())
