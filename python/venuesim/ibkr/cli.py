"""`python -m venuesim ibkr --host H --port N [--seed S] [--accounts FILE] [--speed X]
[--faults SPEC] [--admin-port M]`: a TWS / IB Gateway stand-in on the API socket."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from venuesim.ibkr.broker import Account, Broker
from venuesim.ibkr.faults import FaultSpecError, parse_spec
from venuesim.ibkr.model import DEFAULT_CONTRACTS
from venuesim.ibkr.server import SimServer

DEFAULT_ACCOUNTS = {"accounts": [{"id": "DU123456", "cash": {"USD": "100000"}}]}


class ConfigError(ValueError):
    pass


def parse_accounts(doc: Any) -> list[Account]:
    """`{"accounts":[{"id":"DU123456","cash":{"USD":"100000"}}]}`; amounts are strings."""
    if not isinstance(doc, dict) or not isinstance(doc.get("accounts"), list) \
            or not doc["accounts"]:
        raise ConfigError('accounts file must be {"accounts": [{"id": ..., "cash": {...}}]}')
    out = []
    for entry in doc["accounts"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) \
                or not entry["id"].isalnum():
            raise ConfigError(f"account entry needs an alphanumeric string id: {entry!r}")
        cash_doc = entry.get("cash", {})
        if not isinstance(cash_doc, dict):
            raise ConfigError(f"account {entry['id']}: cash must be an object")
        cash = {}
        for currency, amount in cash_doc.items():
            try:
                value = Decimal(str(amount))
            except InvalidOperation as exc:
                raise ConfigError(f"account {entry['id']}: {amount!r} is not an amount") from exc
            if not value.is_finite():
                raise ConfigError(f"account {entry['id']}: {amount!r} is not an amount")
            cash[str(currency).upper()] = value
        out.append(Account(entry["id"], cash))
    if len({a.account_id for a in out}) != len(out):
        raise ConfigError("account ids must be unique")
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m venuesim ibkr", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="TWS API port (0 = any free port)")
    p.add_argument("--admin-port", type=int, default=0, help="HTTP /_sim port (0 = any)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--accounts", type=Path, help="accounts JSON file")
    p.add_argument("--speed", type=float, default=1.0, help="market clock multiplier")
    p.add_argument("--faults", default="", help="e.g. delay_fills=2,connectivity_every=30")
    return p


async def _serve(server: SimServer, host: str, port: int, admin_port: int) -> None:
    def ready(line: dict[str, Any]) -> None:
        print(json.dumps(line, separators=(",", ":")), flush=True)

    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if task is not None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await server.serve(host, port, admin_port, ready)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        doc = json.loads(args.accounts.read_text()) if args.accounts else DEFAULT_ACCOUNTS
        accounts = parse_accounts(doc)
        faults = parse_spec(args.faults)
        if args.speed <= 0:
            raise ConfigError("--speed must be positive")
    except (OSError, json.JSONDecodeError, ConfigError, FaultSpecError) as exc:
        print(f"venuesim ibkr: {exc}", file=sys.stderr)
        return 2
    broker = Broker(accounts, DEFAULT_CONTRACTS, seed=args.seed)
    server = SimServer(broker, faults, args.speed)
    try:
        asyncio.run(_serve(server, args.host, args.port, args.admin_port))
    except OSError as exc:
        print(f"venuesim ibkr: {exc}", file=sys.stderr)
        return 1
    return 0
