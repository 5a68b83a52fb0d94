"""Gamma API shapes: markets and events with the venue's field names and encodings
(clobTokenIds, outcomes and outcomePrices are JSON-encoded strings)."""

from __future__ import annotations

import json
from typing import Any

from .book import Book
from .clock import iso8601
from .markets import Catalogue, Market, MarketState
from .units import ONE, fmt


def _float_price(micro: int | None) -> float | None:
    return None if micro is None else float(micro) / ONE


def market_json(m: Market, book: Book | None, cat: Catalogue) -> dict[str, Any]:
    p0 = min(max(round(m.fair, 3), 0.001), 0.999)
    if m.state is MarketState.RESOLVED and m.winner is not None:
        prices = ["1", "0"] if m.winner == 0 else ["0", "1"]
    else:
        prices = [f"{p0:g}", f"{round(1 - p0, 3):g}"]
    bb = book.best_bid() if book else None
    ba = book.best_ask() if book else None
    out: dict[str, Any] = {
        "id": m.gamma_id,
        "question": m.question,
        "conditionId": m.condition_id,
        "slug": m.slug,
        "resolutionSource": "https://data.chain.link/streams" if m.asset else "",
        "endDate": iso8601(m.end_s),
        "startDate": iso8601(m.start_s),
        "description": m.description,
        "outcomes": json.dumps(list(m.outcomes)),
        "outcomePrices": json.dumps(prices),
        "active": m.state in (MarketState.UPCOMING, MarketState.OPEN),
        "closed": m.state in (MarketState.CLOSED, MarketState.RESOLVED),
        "archived": False,
        "restricted": True,
        "questionID": m.question_id,
        "enableOrderBook": True,
        "orderPriceMinTickSize": float(m.tick),
        "orderMinSize": m.min_size,
        "clobTokenIds": json.dumps(list(m.token_ids)),
        "acceptingOrders": m.state is MarketState.OPEN,
        "acceptingOrdersTimestamp": iso8601(m.open_s),
        "negRisk": m.neg_risk,
        "rewardsMinSize": 20,
        "rewardsMaxSpread": 3.5,
        "bestBid": _float_price(bb),
        "bestAsk": _float_price(ba),
        "spread": _float_price(ba - bb) if bb is not None and ba is not None else None,
        "feesEnabled": m.fees_enabled,
        "feeType": m.fee_type(),
        "makerBaseFee": 0,
        "takerBaseFee": int(m.fee_rate * 10000),
        "version": "v1",
    }
    if m.fees_enabled:
        out["feeSchedule"] = {"exponent": m.fee_exponent, "rate": float(m.fee_rate),
                              "takerOnly": True, "rebateRate": float(m.rebate_rate)}
    if m.asset:
        out["eventStartTime"] = iso8601(m.end_s - 900)
        out["cryptoMarketConfig"] = {"id": f"{m.asset.lower()}-15m", "asset": m.asset.lower(),
                                     "duration": "15m", "twapEnabled": False,
                                     "twapLookbackSeconds": 0}
    if m.neg_risk:
        out["negRiskMarketID"] = m.neg_risk_market_id
        out["groupItemTitle"] = m.group_item_title
    if m.state is MarketState.RESOLVED:
        out["umaResolutionStatus"] = "resolved"
    return out


def event_json(event_id: str, cat: Catalogue, books: dict[str, Book]) -> dict[str, Any]:
    meta = cat.event_meta[event_id]
    markets = [cat.markets[c] for c in cat.events.get(event_id, [])]
    first = markets[0]
    neg_risk = any(m.neg_risk for m in markets)
    out: dict[str, Any] = {
        "id": event_id,
        "ticker": meta["slug"],
        "slug": meta["slug"],
        "title": meta["title"],
        "description": first.description,
        "startDate": iso8601(min(m.start_s for m in markets)),
        "endDate": iso8601(max(m.end_s for m in markets)),
        "active": any(m.state in (MarketState.UPCOMING, MarketState.OPEN) for m in markets),
        "closed": all(m.state in (MarketState.CLOSED, MarketState.RESOLVED) for m in markets),
        "archived": False,
        "restricted": True,
        "enableOrderBook": True,
        "negRisk": neg_risk,
        "enableNegRisk": neg_risk,
        "markets": [market_json(m, books.get(m.condition_id), cat) for m in markets],
        "tags": [{"id": str(i + 1), "label": t, "slug": t.lower().replace(" ", "-")}
                 for i, t in enumerate(first.tags)],
    }
    if neg_risk:
        out["negRiskMarketID"] = meta.get("negRiskMarketID", "")
    return out


def clob_market_json(m: Market, book: Book | None) -> dict[str, Any]:
    """CLOB GET /markets/{condition_id} object (snake_case, real arrays)."""
    return {
        "enable_order_book": True,
        "active": m.state in (MarketState.UPCOMING, MarketState.OPEN),
        "closed": m.state in (MarketState.CLOSED, MarketState.RESOLVED),
        "archived": False,
        "accepting_orders": m.state is MarketState.OPEN,
        "accepting_order_timestamp": iso8601(m.open_s),
        "minimum_order_size": m.min_size,
        "minimum_tick_size": float(m.tick),
        "condition_id": m.condition_id,
        "question_id": m.question_id,
        "question": m.question,
        "description": m.description,
        "market_slug": m.slug,
        "end_date_iso": iso8601(m.end_s),
        "game_start_time": iso8601(m.end_s - 900) if m.asset else None,
        "seconds_delay": 0,
        "fpmm": "",
        "maker_base_fee": 0,
        "taker_base_fee": int(m.fee_rate * 10000),
        "notifications_enabled": True,
        "neg_risk": m.neg_risk,
        "neg_risk_market_id": m.neg_risk_market_id,
        "neg_risk_request_id": "",
        "icon": "",
        "image": "",
        "rewards": {"rates": None, "min_size": 20, "max_spread": 3.5},
        "is_50_50_outcome": False,
        "tokens": [{"token_id": t, "outcome": o,
                    "price": round(m.fair if i == 0 else 1 - m.fair, 3),
                    "winner": m.winner == i}
                   for i, (t, o) in enumerate(zip(m.token_ids, m.outcomes, strict=True))],
        "tags": list(m.tags),
    }


def fmt_tick(m: Market) -> str:
    return fmt(int(m.tick * ONE))
