"""The listed symbols, their filters (filters.md) and the exchangeInfo document."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

EIGHT = Decimal("0.00000001")


def fmt(value: Decimal) -> str:
    """Binance prints prices and quantities with 8 decimals ("60650.00000000")."""
    return f"{value.quantize(EIGHT):f}"


@dataclass(frozen=True)
class SymbolSpec:
    symbol: str
    base: str
    quote: str
    tick: Decimal
    min_price: Decimal
    max_price: Decimal
    step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    market_max_qty: Decimal
    min_notional: Decimal
    max_notional: Decimal
    legacy_min_notional: bool  # MIN_NOTIONAL instead of NOTIONAL (older symbols still show it)
    max_num_orders: int
    start_price: Decimal
    typical_qty: Decimal  # size of one background order, in base units


# Filter values follow mainnet exchangeInfo for these pairs (tick, step, minQty, 5 USDT notional,
# 200 open orders); XRPUSDT carries the legacy MIN_NOTIONAL filter on purpose so a client's
# parser meets both notional filter shapes.
SYMBOLS: dict[str, SymbolSpec] = {
    s.symbol: s for s in (
        SymbolSpec("BTCUSDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.01"),
                   Decimal("1000000.00"), Decimal("0.00001"), Decimal("0.00001"),
                   Decimal("9000.00000000"), Decimal("76.41424033"), Decimal("5.00"),
                   Decimal("9000000.00"), False, 200, Decimal("65000.00"), Decimal("0.004")),
        SymbolSpec("ETHUSDT", "ETH", "USDT", Decimal("0.01"), Decimal("0.01"),
                   Decimal("1000000.00"), Decimal("0.0001"), Decimal("0.0001"),
                   Decimal("9000.00000000"), Decimal("1934.25431041"), Decimal("5.00"),
                   Decimal("9000000.00"), False, 200, Decimal("3200.00"), Decimal("0.08")),
        SymbolSpec("SOLUSDT", "SOL", "USDT", Decimal("0.01"), Decimal("0.01"),
                   Decimal("1000000.00"), Decimal("0.001"), Decimal("0.001"),
                   Decimal("9000000.00000000"), Decimal("28645.15402777"), Decimal("5.00"),
                   Decimal("9000000.00"), False, 200, Decimal("150.00"), Decimal("1.5")),
        SymbolSpec("XRPUSDT", "XRP", "USDT", Decimal("0.0001"), Decimal("0.0001"),
                   Decimal("1000.0000"), Decimal("0.1"), Decimal("0.1"),
                   Decimal("9222449.00000000"), Decimal("4159622.45513888"), Decimal("5.00"),
                   Decimal("9000000.00"), True, 200, Decimal("0.6000"), Decimal("400")),
    )
}

# Only the types the simulator matches are listed; stop and take-profit types are refused the way
# the venue refuses a type a symbol does not allow.
ORDER_TYPES = ["LIMIT", "LIMIT_MAKER", "MARKET"]
STP_MODES = ["NONE"]


def filters(spec: SymbolSpec) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"filterType": "PRICE_FILTER", "minPrice": fmt(spec.min_price),
         "maxPrice": fmt(spec.max_price), "tickSize": fmt(spec.tick)},
        {"filterType": "LOT_SIZE", "minQty": fmt(spec.min_qty), "maxQty": fmt(spec.max_qty),
         "stepSize": fmt(spec.step)},
        {"filterType": "ICEBERG_PARTS", "limit": 10},
        {"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000",
         "maxQty": fmt(spec.market_max_qty), "stepSize": "0.00000000"},
    ]
    if spec.legacy_min_notional:
        out.append({"filterType": "MIN_NOTIONAL", "minNotional": fmt(spec.min_notional),
                    "applyToMarket": True, "avgPriceMins": 5})
    else:
        out.append({"filterType": "NOTIONAL", "minNotional": fmt(spec.min_notional),
                    "applyMinToMarket": True, "maxNotional": fmt(spec.max_notional),
                    "applyMaxToMarket": False, "avgPriceMins": 5})
    out.append({"filterType": "MAX_NUM_ORDERS", "maxNumOrders": spec.max_num_orders})
    out.append({"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5})
    return out


def symbol_info(spec: SymbolSpec) -> dict[str, Any]:
    return {
        "symbol": spec.symbol, "status": "TRADING",
        "baseAsset": spec.base, "baseAssetPrecision": 8,
        "quoteAsset": spec.quote, "quotePrecision": 8, "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8,
        "orderTypes": ORDER_TYPES,
        "icebergAllowed": False, "ocoAllowed": False, "otoAllowed": False, "opoAllowed": False,
        "quoteOrderQtyMarketAllowed": True, "allowTrailingStop": False,
        "cancelReplaceAllowed": False, "amendAllowed": False, "pegInstructionsAllowed": False,
        "isSpotTradingAllowed": True, "isMarginTradingAllowed": False,
        "filters": filters(spec), "permissions": [], "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "NONE",
        "allowedSelfTradePreventionModes": STP_MODES,
    }


def rate_limits(weight_limit: int, orders_10s: int, orders_1d: int) -> list[dict[str, Any]]:
    return [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
         "limit": weight_limit},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10,
         "limit": orders_10s},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": orders_1d},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5,
         "limit": 61000},
    ]
