"""`python -m gateway --mode dry-run|paper|live [--config FILE] [--confirm-live]`
and the operator verbs `status`, `stop`, `report`, `metrics`, `approve`;
`report --dsn DSN [--out DIR]` (the learning report from the record) and
`replay --dsn DSN [--out DIR] [--mm KEY=VALUE ...]` (the market maker over recorded books).

Exit codes: 0 ok, 2 bad config/arguments (the message names the field), 3 the gateway is
not running (verbs), 1 anything else.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys

from gateway import config as gcfg

DEFAULT_CONFIG = "config/gateway_sim.toml"
VERBS = ("status", "stop", "report", "metrics")


class RedactingFilter(logging.Filter):
    """Replaces every secret value with *** in every log record (belt and braces: secrets
    are `Secret` objects that never format themselves, this catches everything else)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 6]

    def add(self, secret: str) -> None:
        if len(secret) >= 6:
            self.secrets.append(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            msg = record.getMessage()
            if any(s in msg for s in self.secrets):
                for s in self.secrets:
                    msg = msg.replace(s, "***")
                record.msg, record.args = msg, None
        return True


def setup_logging(level: str, log_file: str, secrets: list[str]) -> RedactingFilter:
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file))
    root = logging.getLogger()
    root.handlers.clear()
    flt = RedactingFilter(secrets)
    for h in handlers:
        h.setFormatter(fmt)
        h.addFilter(flt)
        root.addHandler(h)
    root.setLevel(level.upper())
    return flt


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m gateway")
    ap.add_argument("--mode", choices=("dry-run", "paper", "live"))
    ap.add_argument("--config", default=DEFAULT_CONFIG)
    ap.add_argument("--confirm-live", action="store_true",
                    help="required with --mode live (and live = true in the config)")
    ap.add_argument("--log-level", choices=("debug", "info", "warning", "error"))
    return ap


def _verb(verb: str, argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog=f"python -m gateway {verb}")
    ap.add_argument("--config", default=DEFAULT_CONFIG)
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    args = ap.parse_args(argv)
    try:
        cfg = gcfg.load(args.config)
    except gcfg.ConfigError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    from gateway.control import call  # noqa: PLC0415

    try:
        out = asyncio.run(call(cfg.control.socket, verb))
    except (OSError, TimeoutError) as exc:
        print(f"gateway: not running? ({cfg.control.socket}: {exc})", file=sys.stderr)
        return 3
    if verb == "status" and not args.json and isinstance(out, dict):
        from gateway.status_table import render  # noqa: PLC0415

        print(render(out), end="")
    else:
        print(json.dumps(out, indent=2, default=str))
    return 0


def _run(args: argparse.Namespace) -> int:
    if args.mode is None:
        print("gateway: --mode dry-run|paper|live is required", file=sys.stderr)
        return 2
    try:
        cfg = gcfg.load(args.config)
        if args.mode == "live":
            if not cfg.live:
                raise gcfg.ConfigError("live: --mode live needs live = true in the config")
            if not args.confirm_live:
                raise gcfg.ConfigError("--confirm-live: --mode live needs --confirm-live on "
                                       "the command line as well")
        key = gcfg.wallet_key(cfg) if args.mode == "live" else None
        creds = gcfg.api_creds(cfg) if args.mode == "live" else None
    except gcfg.ConfigError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    secrets: list[str] = []
    if key is not None:
        secrets += [key.reveal(), key.reveal().removeprefix("0x")]
    if creds is not None:
        secrets += [creds.secret.reveal(), creds.passphrase.reveal()]
    flt = setup_logging(args.log_level or cfg.log_level, cfg.control.log_file, secrets)
    from gateway.app import Gateway  # noqa: PLC0415 - after logging is set up

    gw = Gateway(cfg, args.mode, key=key, creds=creds)
    gw.on_secret = flt.add     # credentials derived at start are redacted too

    async def main() -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, gw.request_stop, f"signal {sig.name}")
        return await gw.run()

    try:
        import uvloop  # noqa: PLC0415

        return uvloop.run(main())
    except ImportError:
        return asyncio.run(main())


def _record_verb(verb: str, argv: list[str]) -> int:
    """report/replay from Postgres: no running gateway needed."""
    ap = argparse.ArgumentParser(prog=f"python -m gateway {verb}")
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--out", default="", help="directory for the PNG charts")
    if verb == "replay":
        ap.add_argument("--mm", action="append", default=[], metavar="KEY=VALUE",
                        help="market-maker config override (decimals as strings)")
        ap.add_argument("--tick", default="0.01")
        ap.add_argument("--min-size", default="5")
        ap.add_argument("--fee-rate", default="0.07")
        ap.add_argument("--rebate-rate", default="0.2")
    args = ap.parse_args(argv)
    from decimal import Decimal  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    from gateway import dbreport  # noqa: PLC0415
    from gateway.mm import report as mmreport  # noqa: PLC0415
    from gateway.mm.config import MMConfig  # noqa: PLC0415
    from gateway.mm.types import FeeSchedule  # noqa: PLC0415
    from recorder.store import Store  # noqa: PLC0415

    async def load() -> dbreport.Loaded:
        store = await Store.open(args.dsn, migrate=False)
        try:
            return await dbreport.load(store)
        finally:
            await store.close()

    try:
        data = asyncio.run(load())
    except (OSError, ValueError) as exc:
        print(f"gateway {verb}: {exc}", file=sys.stderr)
        return 1
    if verb == "report":
        rep = dbreport.build(data)
        print(dbreport.summary(data, rep))
    else:
        overrides: dict[str, object] = {}
        for kv in args.mm:
            k, _, v = kv.partition("=")
            overrides[k] = int(v) if v.lstrip("-").isdigit() else (
                v.lower() == "true" if v.lower() in ("true", "false") else v)
        try:
            cfg = MMConfig().with_overrides(overrides)
        except ValueError as exc:
            print(f"gateway replay: {exc}", file=sys.stderr)
            return 2
        res, rep = dbreport.replay(data, cfg, FeeSchedule(Decimal(args.fee_rate), 1,
                                                          Decimal(args.rebate_rate)),
                                   Decimal(args.tick), Decimal(args.min_size))
        print(f"replay: {res.cycles} cycles over {len(data.books)} snapshots, "
              f"post-only retries {res.post_only_retries}, venue rejects "
              f"{dict(res.venue_rejects)}")
        print(mmreport.render(rep))
    if args.out:
        for path in mmreport.charts(rep, Path(args.out)):
            print(f"chart: {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("report", "replay") and any(
            a == "--dsn" or a.startswith("--dsn=") for a in argv[1:]):
        return _record_verb(argv[0], argv[1:])
    if argv and argv[0] == "approve":
        from gateway import approve  # noqa: PLC0415 - only this verb needs it

        rc: int = approve.main(argv[1:])
        return rc
    if argv and argv[0] in VERBS:
        return _verb(argv[0], argv[1:])
    return _run(_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
