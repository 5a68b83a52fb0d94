"""The wallet: L1 credential creation/derivation and order signing, through the official
`py-clob-client-v2` (its Signer, ClobAuth headers and V2 OrderBuilder).

Only live mode constructs an `OrderSigner`. The official client's HTTP layer is not used
(it is synchronous); its signing code is, so the bytes we sign are the official ones.
Prices and sizes cross into the official builder as floats because that is its API; they
are Decimals on the tick/2-decimal grid before, so the float round-trip is exact at the
builder's rounding (it re-rounds to the tick's decimals).
"""

from __future__ import annotations

import json
import logging
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

    def __init__(self, cfg: Config, key: Secret, creds: ApiCreds) -> None:
        sig_type = SIGNATURE_TYPES[cfg.wallet.signature_type]
        self._signer = Signer(key.reveal(), cfg.venue.chain_id)
        self.address = str(self._signer.address())
        self.funder = cfg.wallet.funder or self.address
        self._builder = OrderBuilder(self._signer, signature_type=sig_type, funder=self.funder)
        self._owner = creds.api_key

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
