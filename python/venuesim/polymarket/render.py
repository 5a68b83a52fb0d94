"""JSON shapes shared by REST and WebSocket: books, orders, trades."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .book import Book, Order
from .clock import iso8601
from .engine import Trade
from .markets import Market
from .units import fmt, fmt_fixed


def book_json(m: Market, book: Book, token_id: str, ts_ms: int, last_trade: str
              ) -> dict[str, Any]:
    """GET /book object; `hash` is computed the way the official client recomputes it."""
    bids, asks = book.levels(m.token_index(token_id))
    out: dict[str, Any] = {
        "market": m.condition_id,
        "asset_id": token_id,
        "timestamp": str(ts_ms),
        "hash": "",
        "bids": [{"price": fmt(p), "size": fmt(s)} for p, s in bids],
        "asks": [{"price": fmt(p), "size": fmt(s)} for p, s in asks],
        "min_order_size": str(m.min_size),
        "tick_size": fmt(int(m.tick * 1_000_000)),
        "neg_risk": m.neg_risk,
        "last_trade_price": last_trade,
    }
    payload = json.dumps(out, separators=(",", ":"), ensure_ascii=False)
    out["hash"] = hashlib.sha1(payload.encode()).hexdigest()
    return out


def order_json(o: Order) -> dict[str, Any]:
    """GET /data/orders and /data/order/{id} object."""
    return {
        "associate_trades": list(o.associate_trades),
        "id": o.id,
        "status": o.status,
        "market": o.market,
        "original_size": fmt_fixed(o.size, 4),
        "outcome": o.outcome,
        "maker_address": o.maker_address,
        "owner": o.owner,
        "price": fmt_fixed(o.price, 4),
        "side": o.side,
        "size_matched": fmt_fixed(o.matched, 4),
        "asset_id": o.token_id,
        "expiration": str(o.expiration) if o.expiration else None,
        "order_type": o.order_type,
        "created_at": int(o.created_at),
    }


def ws_order_json(o: Order, type_: str, status: str, ts_ms: int) -> dict[str, Any]:
    """User channel `order` event."""
    return {
        "asset_id": o.token_id,
        "associate_trades": list(o.associate_trades) or None,
        "created_at": str(int(o.created_at * 1000)),
        "expiration": str(o.expiration) if o.expiration else None,
        "id": o.id,
        "maker_address": o.maker_address,
        "market": o.market,
        "order_owner": o.owner,
        "order_type": o.order_type,
        "original_size": fmt(o.size),
        "outcome": o.outcome,
        "owner": o.owner,
        "price": fmt(o.price),
        "side": o.side,
        "size_matched": fmt(o.matched),
        "status": status,
        "timestamp": str(ts_ms),
        "type": type_,
        "event_type": "order",
    }


def _maker_order(t: Trade) -> dict[str, Any]:
    mk = t.maker
    return {
        "asset_id": mk.token_id,
        "fee_rate_bps": "0",
        "maker_address": mk.maker_address,
        "matched_amount": fmt_fixed(t.size, 4),
        "order_id": mk.id,
        "outcome": mk.outcome,
        "owner": mk.owner,
        "price": fmt_fixed(t.maker_price, 4),
        "side": mk.side,
    }


def trade_json(t: Trade, viewer: str) -> dict[str, Any]:
    """GET /data/trades object, seen by `viewer` (API key): TAKER or MAKER side."""
    tk = t.taker
    maker_view = viewer == t.maker.owner and viewer != tk.owner
    return {
        "id": t.id,
        "taker_order_id": tk.id,
        "market": t.market,
        "asset_id": tk.token_id,
        "side": tk.side,
        "size": fmt_fixed(t.size, 4),
        "fee_rate_bps": str(t.fee_rate_bps),
        "price": fmt_fixed(t.taker_price, 4),
        "status": t.status,
        "match_time": str(int(t.match_time)),
        "last_update": str(int(t.last_update)),
        "outcome": tk.outcome,
        "bucket_index": 0,
        "owner": t.maker.owner if maker_view else tk.owner,
        "maker_address": t.maker.maker_address if maker_view else tk.maker_address,
        "transaction_hash": t.tx_hash,
        "maker_orders": [_maker_order(t)],
        "trader_side": "MAKER" if maker_view else "TAKER",
    }


def ws_trade_json(t: Trade, viewer: str, ts_ms: int) -> dict[str, Any]:
    """User channel `trade` event."""
    out = trade_json(t, viewer)
    out["match_time"] = iso8601(t.match_time)
    out["last_update"] = iso8601(t.last_update)
    out["price"] = fmt(t.taker_price)
    out["size"] = fmt(t.size)
    out["timestamp"] = str(ts_ms)
    out["trade_owner"] = out["owner"]
    out["type"] = "TRADE"
    out["event_type"] = "trade"
    return out
