"""Turning a POST /order body into an engine Order, with every check the venue makes.

The error texts are the venue's own where they are known (see docs/SIMULATORS.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from eth_utils.address import is_hex_address

from .book import Order
from .engine import Rejected
from .markets import Catalogue, MarketState
from .signing import (
    CTF_EXCHANGE_V2,
    NEG_RISK_CTF_EXCHANGE_V2,
    SIG_EOA,
    SIG_POLY_1271,
    OrderStruct,
    SignatureError,
    order_hash,
    recover_order_signer,
)
from .units import ONE, fmt, to_micro

V1_ORDER = "invalid order version, please use the latest clob-client"
ORDER_TYPES = ("GTC", "GTD", "FOK", "FAK")
GTD_SECURITY_S = 60  # GTD expirations must lie at least a minute ahead


@dataclass
class Submission:
    order: Order
    post_only: bool
    defer_exec: bool


def _field(d: dict[str, Any], name: str) -> Any:
    if name not in d:
        raise Rejected("Invalid order payload")
    return d[name]


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise Rejected("Invalid order payload")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Rejected("Invalid order payload") from exc


def _bytes32(value: Any) -> bytes:
    text = str(value or "").removeprefix("0x")
    try:
        raw = bytes.fromhex(text.zfill(64)) if text else b"\x00" * 32
    except ValueError as exc:
        raise Rejected("Invalid order payload") from exc
    if len(raw) != 32:
        raise Rejected("Invalid order payload")
    return raw


def parse_submission(body: Any, *, api_key: str, key_address: str, catalogue: Catalogue,
                     now_s: float, seq: int) -> Submission:
    """Validate one `{"order":{...},"owner","orderType",...}` object; raise Rejected."""
    if not isinstance(body, dict) or not isinstance(body.get("order"), dict):
        raise Rejected("Invalid order payload")
    raw = body["order"]
    if any(k in raw for k in ("nonce", "feeRateBps", "taker")) or "timestamp" not in raw:
        raise Rejected(V1_ORDER)
    order_type = str(body.get("orderType", "GTC"))
    if order_type not in ORDER_TYPES:
        raise Rejected(f"invalid order type: {order_type}")
    post_only = bool(body.get("postOnly", False))
    side_text = _field(raw, "side")
    if side_text not in ("BUY", "SELL"):
        raise Rejected("Invalid order payload")
    for addr_field in ("maker", "signer"):
        if not isinstance(raw.get(addr_field), str) or not is_hex_address(raw[addr_field]):
            raise Rejected("Invalid order payload")
    struct = OrderStruct(
        salt=_int(_field(raw, "salt")), maker=raw["maker"], signer=raw["signer"],
        token_id=_int(_field(raw, "tokenId")), maker_amount=_int(_field(raw, "makerAmount")),
        taker_amount=_int(_field(raw, "takerAmount")), side=0 if side_text == "BUY" else 1,
        signature_type=_int(_field(raw, "signatureType")), timestamp=_int(raw["timestamp"]),
        metadata=_bytes32(raw.get("metadata")), builder=_bytes32(raw.get("builder")))
    if struct.maker_amount <= 0 or struct.taker_amount <= 0:
        raise Rejected("invalid amounts, maker and taker amounts must be positive")
    token = str(struct.token_id)
    market = catalogue.by_token.get(token)
    if market is None:
        raise Rejected(f"the orderbook {token} does not exist")
    exchange = NEG_RISK_CTF_EXCHANGE_V2 if market.neg_risk else CTF_EXCHANGE_V2
    oid = order_hash(struct, exchange)
    if struct.signature_type not in (SIG_EOA, SIG_POLY_1271):
        raise Rejected("maker address not allowed, please use the deposit wallet flow")
    try:
        recovered = recover_order_signer(struct, str(_field(raw, "signature")), exchange)
    except SignatureError as exc:
        raise Rejected(str(exc)) from exc
    # EOA: the signature recovers to order.signer, which is the maker and the API key's
    # address. POLY_1271: order.signer is the deposit wallet (= maker) and the inner
    # signature recovers to the API key's owner EOA.
    if struct.signature_type == SIG_EOA:
        if recovered.lower() != struct.signer.lower():
            raise Rejected("invalid signature")
        if struct.maker.lower() != struct.signer.lower():
            raise Rejected("invalid signature")
        if struct.signer.lower() != key_address.lower():
            raise Rejected("the order signer address has to be the address of the API KEY")
    else:
        if recovered.lower() != key_address.lower():
            raise Rejected("the order signer address has to be the address of the API KEY")
        if struct.maker.lower() != struct.signer.lower():
            raise Rejected("invalid POLY_1271 signature")
    if body.get("owner") != api_key:
        raise Rejected("the order owner has to be the owner of the API KEY")
    if market.state is MarketState.UPCOMING:
        raise Rejected("the market is not yet ready to process new orders")
    if market.state is not MarketState.OPEN:
        raise Rejected("the market is closed")
    expiration = _int(raw.get("expiration", "0") or 0)
    if order_type == "GTD":
        if expiration < now_s + GTD_SECURITY_S:
            raise Rejected("invalid expiration")
    elif expiration != 0:
        raise Rejected("invalid expiration")
    if post_only and order_type not in ("GTC", "GTD"):
        raise Rejected("invalid post-only order: only GTC and GTD orders can be post-only")
    side = side_text
    shares = struct.taker_amount if side == "BUY" else struct.maker_amount
    cash = struct.maker_amount if side == "BUY" else struct.taker_amount
    tick = to_micro(market.tick)
    limit = order_type in ("GTC", "GTD")
    if limit:
        if shares % 10_000:
            raise Rejected(f"invalid amounts, the {side.lower()} orders size supports a max "
                           "accuracy of 2 decimals")
        if (cash * ONE) % shares:
            shown = format((Decimal(cash) / Decimal(shares)).normalize(), "f")
            raise Rejected(f"order {oid} is invalid. Price ({shown}) breaks minimum tick "
                           f"size rule: {market.tick}")
        price = cash * ONE // shares
    else:
        # Market orders: the client rounds the amounts, so the implied price is the
        # worst acceptable one; snap it to the grid without loosening the signed limit.
        exact = Decimal(cash) * ONE / Decimal(shares)
        price = int(exact // tick * tick) if side == "BUY" else int(-(-exact // tick) * tick)
    if price % tick:
        raise Rejected(f"order {oid} is invalid. Price ({fmt(price)}) breaks minimum tick size "
                       f"rule: {market.tick}")
    if price < tick or price > ONE - tick:
        raise Rejected(f"order {oid} is invalid. Price ({fmt(price)}) must be within "
                       f"[{market.tick}, {fmt(ONE - tick)}]")
    if shares < market.min_size * ONE and limit:
        raise Rejected(f"order {oid} is invalid. Size ({fmt(shares)}) lower than the "
                       f"minimum: {market.min_size}")
    if not limit and side == "BUY" and cash < ONE:
        raise Rejected(f"order {oid} is invalid. Market buy orders need a minimum of $1")
    idx = market.token_index(token)
    order = Order(id=oid, owner=api_key, maker_address=struct.maker.lower(),
                  market=market.condition_id, token_id=token, outcome_index=idx, side=side,
                  price=price, size=shares, order_type=order_type, expiration=expiration,
                  created_at=now_s, seq=seq, outcome=market.outcomes[idx])
    return Submission(order, post_only, bool(body.get("deferExec", False)))
