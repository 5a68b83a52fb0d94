"""The wallet: L1 credential creation/derivation and order signing, through the official
`py-clob-client-v2` (its Signer, ClobAuth headers and V2 OrderBuilder).

Only live mode constructs an `OrderSigner` (in the signing process, see `SigningPool`). The
official client's HTTP layer is not used (it is synchronous); its signing code is, so the
bytes we sign are the official ones. Prices and sizes cross into the official builder as
floats because that is its API; they are Decimals on the tick/2-decimal grid before, so the
float round-trip is exact at the builder's rounding (it re-rounds to the tick's decimals).

Signing is pure-Python EIP-712 hashing (~13 ms per order). In a thread it holds the GIL
while a cancel for a stale quote is due, so it runs in a separate process: `SigningPool`
(one worker, started with `spawn` so it inherits no event loop, socket or thread of the
gateway) builds the signer once in its initializer and then receives only order fields.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
from py_clob_client_v2.clob_types import CreateOrderOptions, OrderArgsV2
from py_clob_client_v2.headers.headers import create_level_1_headers
from py_clob_client_v2.order_builder.builder import OrderBuilder
from py_clob_client_v2.order_utils.model.order_data_v2 import order_to_json_v2
from py_clob_client_v2.signer import Signer

from gateway.config import SIGNATURE_TYPES, ApiCreds, Config, Secret
from gateway.rest import VenueError, error_text

log = logging.getLogger("gateway.wallet")

TICKS = ("0.1", "0.01", "0.001", "0.0001", "0.005", "0.0025")


def address_of(key: Secret, chain_id: int) -> str:
    return str(Signer(key.reveal(), chain_id).address())


async def create_or_derive_creds(session: aiohttp.ClientSession, clob_url: str, key: Secret,
                                 chain_id: int, nonce: int = 0) -> ApiCreds:
    """L1: POST /auth/api-key, and when the key exists already GET /auth/derive-api-key."""
    signer = Signer(key.reveal(), chain_id)

    async def call(method: str, path: str) -> tuple[int, Any]:
        headers = create_level_1_headers(signer, nonce=nonce)
        async with session.request(method, clob_url + path, headers=headers) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text) if text else None
            except json.JSONDecodeError:
                return resp.status, text

    status, body = await call("POST", "/auth/api-key")
    if status != 200 or not isinstance(body, dict) or "apiKey" not in body:
        log.info("api key exists or could not be created (HTTP %d); deriving", status)
        status, body = await call("GET", "/auth/derive-api-key")
    if status != 200 or not isinstance(body, dict) or "apiKey" not in body:
        raise VenueError(status, f"could not create or derive API credentials: "
                                 f"{error_text(body)}")
    return ApiCreds(str(body["apiKey"]), Secret(str(body["secret"])),
                    Secret(str(body["passphrase"])))


@dataclass(frozen=True, slots=True)
class SignedOrder:
    body: dict[str, Any]   # the POST /order object
    order_id_hint: str     # "" (the venue's id is its EIP-712 digest; we take it from the ack)


class OrderSigner:
    """Builds and signs V2 limit orders for one wallet (EOA or POLY_1271 deposit wallet)."""

    def __init__(self, key: Secret, chain_id: int, signature_type: str, funder: str,
                 owner: str) -> None:
        self._signer = Signer(key.reveal(), chain_id)
        self.address = str(self._signer.address())
        self.funder = funder or self.address
        self._builder = OrderBuilder(self._signer, signature_type=SIGNATURE_TYPES[signature_type],
                                     funder=self.funder)
        self._owner = owner

    def sign_limit(self, *, token_id: str, side: str, price: Decimal, size: Decimal,
                   tick: Decimal, neg_risk: bool, order_type: str = "GTC",
                   post_only: bool = True, expiration: int = 0) -> dict[str, Any]:
        tick_s = format(tick.normalize(), "f")
        if tick_s not in TICKS:
            raise ValueError(f"unsupported tick size {tick_s}")
        args = OrderArgsV2(token_id=token_id, price=float(price), size=float(size),
                           side=side.upper(), expiration=expiration)
        order = self._builder.build_order(args, CreateOrderOptions(tick_size=tick_s,
                                                                   neg_risk=neg_risk), version=2)
        body: dict[str, Any] = order_to_json_v2(order, self._owner, order_type, post_only, False)
        return body


# ---- the signing process ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class OrderFields:
    """What crosses into the signing process for one order: no key, nothing else."""
    token_id: str
    side: str
    price: Decimal
    size: Decimal
    tick: Decimal
    neg_risk: bool
    order_type: str = "GTC"
    post_only: bool = True
    expiration: int = 0


@dataclass(frozen=True, slots=True)
class SignOutcome:
    body: dict[str, Any] | None   # the official client's POST /order object, or None
    error: str                    # why it was not signed (a ValueError from the builder)
    sign_ns: int                  # time spent signing it in the worker


class SignerInitError(RuntimeError):
    """The signing process could not build its signer (the cause is not shown: it may
    carry the key)."""


# the worker process's one signer, set once by `_worker_init`; module state of the worker
# process only (the gateway process never sets it)
_WORKER: dict[str, OrderSigner] = {}


def _worker_init(key: str, chain_id: int, signature_type: str, funder: str, owner: str) -> None:
    try:
        _WORKER["signer"] = OrderSigner(Secret(key), chain_id, signature_type, funder, owner)
    except Exception:   # any failure: its text may carry the key, so it is not chained
        raise SignerInitError("could not build the order signer") from None
    # exit when the gateway dies (SIGKILL included): the executor never tells an idle worker
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True,
                         name="parent-watch").start()


def _exit_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(0)


def _worker_address() -> str:
    return _WORKER["signer"].address


def _worker_sign(orders: list[OrderFields]) -> list[SignOutcome]:
    signer = _WORKER["signer"]
    out: list[SignOutcome] = []
    for o in orders:
        t0 = time.perf_counter_ns()
        try:
            body = signer.sign_limit(token_id=o.token_id, side=o.side, price=o.price,
                                     size=o.size, tick=o.tick, neg_risk=o.neg_risk,
                                     order_type=o.order_type, post_only=o.post_only,
                                     expiration=o.expiration)
        except ValueError as exc:
            out.append(SignOutcome(None, str(exc), time.perf_counter_ns() - t0))
            continue
        out.append(SignOutcome(body, "", time.perf_counter_ns() - t0))
    return out


class SigningPool:
    """One signing process for one wallet. `start()` builds the signer there (the key goes
    only into the initializer's arguments), `sign()` sends order fields and returns the
    official client's signed order objects, `close()` stops the process."""

    def __init__(self, cfg: Config, key: Secret, creds: ApiCreds) -> None:
        self._initargs = (cfg.venue.chain_id, cfg.wallet.signature_type, cfg.wallet.funder,
                          creds.api_key)
        self._key: Secret | None = key    # dropped once handed to the worker
        self._pool: ProcessPoolExecutor | None = None
        self.address = ""

    async def start(self) -> None:
        chain_id, sig_type, funder, owner = self._initargs
        if self._key is None:
            raise RuntimeError("signing pool already started")
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(self._key.reveal(), chain_id, sig_type, funder, owner))
        self._key = None
        try:
            # the first call starts the worker and proves its signer was built
            self.address = await asyncio.get_running_loop().run_in_executor(
                self._pool, _worker_address)
        except Exception:
            await self.close()
            raise SignerInitError("the signing process did not start (see its stderr)") \
                from None

    async def sign(self, orders: list[OrderFields]) -> list[SignOutcome]:
        if self._pool is None:
            raise RuntimeError("signing pool not started")
        return await asyncio.get_running_loop().run_in_executor(self._pool, _worker_sign,
                                                                orders)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            # waits for a signature in progress (ms) and joins the process: no orphan
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
