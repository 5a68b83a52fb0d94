"""Endpoint logic shared by REST /api/v3 and the WebSocket API: params in, JSON out.

Each handler takes the authenticated account (or None for public endpoints) and the request
parameters as strings, and returns the response body or raises BinanceError.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import params as P
from .accounts import MAKER_RATE, TAKER_RATE, Account
from .book import Order
from .engine import Engine, Fill, OrderRequest
from .errors import (
    NO_SUCH_ORDER,
    UNKNOWN_ORDER,
    BinanceError,
    cancel_rejected,
    either,
    err,
    filter_failure,
    mandatory,
    new_order_rejected,
    not_required,
)
from .ratelimit import RateLimiter
from .symbols import SYMBOLS, SymbolSpec, fmt, rate_limits, symbol_info

ZERO = Decimal(0)
SIGNED_COMMON = frozenset({"timestamp", "recvWindow", "signature"})
ORDER_PARAMS = SIGNED_COMMON | {
    "symbol", "side", "type", "timeInForce", "quantity", "quoteOrderQty", "price",
    "newClientOrderId", "strategyId", "strategyType", "stopPrice", "trailingDelta", "icebergQty",
    "newOrderRespType", "selfTradePreventionMode", "pegPriceType", "pegOffsetValue",
    "pegOffsetType", "computeCommissionRates"}
UNSUPPORTED_TYPES = {
    "STOP_LOSS": "Stop loss orders are not supported for this symbol.",
    "STOP_LOSS_LIMIT": "Stop loss limit orders are not supported for this symbol.",
    "TAKE_PROFIT": "Take profit orders are not supported for this symbol.",
    "TAKE_PROFIT_LIMIT": "Take profit limit orders are not supported for this symbol.",
}


@dataclass(frozen=True)
class Endpoint:
    handler: Callable[[Account | None, dict[str, str]], Any]
    weight: Callable[[dict[str, str]], int]
    signed: bool
    allowed: frozenset[str]
    counts_order: bool = False


def fixed(weight: int) -> Callable[[dict[str, str]], int]:
    return lambda _params: weight


def depth_weight(params: dict[str, str]) -> int:
    try:
        limit = int(params.get("limit", "100"))
    except ValueError:
        return 5
    return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250


def order_view(order: Order) -> dict[str, Any]:
    """GET /api/v3/order and openOrders item."""
    return {
        "symbol": order.symbol, "orderId": order.order_id, "orderListId": -1,
        "clientOrderId": order.client_order_id, "price": fmt(order.price),
        "origQty": fmt(order.orig_qty), "executedQty": fmt(order.executed),
        "cummulativeQuoteQty": fmt(order.cum_quote), "status": order.status,
        "timeInForce": order.time_in_force, "type": order.type, "side": order.side,
        "stopPrice": fmt(ZERO), "icebergQty": fmt(ZERO), "time": order.created,
        "updateTime": order.update_time, "isWorking": order.working_time >= 0,
        "workingTime": order.working_time if order.working_time >= 0 else -1,
        "origQuoteOrderQty": fmt(order.quote_order_qty), "selfTradePreventionMode": "NONE",
    }


def cancel_view(order: Order, cancel_id: str, now: int) -> dict[str, Any]:
    return {
        "symbol": order.symbol, "origClientOrderId": order.client_order_id,
        "orderId": order.order_id, "orderListId": -1, "clientOrderId": cancel_id,
        "transactTime": now, "price": fmt(order.price), "origQty": fmt(order.orig_qty),
        "executedQty": fmt(order.executed), "origQuoteOrderQty": fmt(order.quote_order_qty),
        "cummulativeQuoteQty": fmt(order.cum_quote), "status": order.status,
        "timeInForce": order.time_in_force, "type": order.type, "side": order.side,
        "selfTradePreventionMode": "NONE",
    }


def new_order_view(order: Order, fills: list[Fill], resp_type: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "symbol": order.symbol, "orderId": order.order_id, "orderListId": -1,
        "clientOrderId": order.client_order_id, "transactTime": order.created}
    if resp_type == "ACK":
        return body
    body.update({
        "price": fmt(order.price), "origQty": fmt(order.orig_qty),
        "executedQty": fmt(order.executed), "origQuoteOrderQty": fmt(order.quote_order_qty),
        "cummulativeQuoteQty": fmt(order.cum_quote), "status": order.status,
        "timeInForce": order.time_in_force, "type": order.type, "side": order.side,
        "workingTime": order.working_time if order.working_time >= 0 else order.created,
        "selfTradePreventionMode": "NONE"})
    if order.status == "EXPIRED" and order.expiry_reason:
        body["expiryReason"] = order.expiry_reason
    if resp_type == "FULL":
        body["fills"] = [{"price": fmt(f.price), "qty": fmt(f.qty),
                          "commission": fmt(f.commission), "commissionAsset": f.commission_asset,
                          "tradeId": f.trade_id} for f in fills]
    return body


def on_grid(value: Decimal, low: Decimal, step: Decimal) -> bool:
    return step == 0 or (value - low) % step == 0


class Api:
    def __init__(self, engine: Engine, accounts: dict[str, Account], limiter: RateLimiter
                 ) -> None:
        self.engine = engine
        self.accounts = accounts
        self.limiter = limiter
        public = frozenset({"symbol", "symbols", "limit", "permissions", "showPermissionSets",
                            "symbolStatus"})
        self.endpoints: dict[tuple[str, str], Endpoint] = {
            ("GET", "ping"): Endpoint(self.ping, fixed(1), False, frozenset()),
            ("GET", "time"): Endpoint(self.time, fixed(1), False, frozenset()),
            ("GET", "exchangeInfo"): Endpoint(self.exchange_info, fixed(20), False, public),
            ("GET", "depth"): Endpoint(self.depth, depth_weight, False, public),
            ("GET", "ticker/price"): Endpoint(
                self.ticker_price, lambda p: 2 if "symbol" in p else 4, False, public),
            ("GET", "ticker/bookTicker"): Endpoint(
                self.book_ticker, lambda p: 2 if "symbol" in p else 4, False, public),
            ("GET", "avgPrice"): Endpoint(self.avg_price, fixed(2), False, public),
            ("POST", "order"): Endpoint(self.new_order, fixed(1), True, ORDER_PARAMS, True),
            ("POST", "order/test"): Endpoint(
                self.test_order,
                lambda p: 20 if p.get("computeCommissionRates") == "true" else 1, True,
                ORDER_PARAMS),
            ("GET", "order"): Endpoint(
                self.get_order, fixed(4), True,
                SIGNED_COMMON | {"symbol", "orderId", "origClientOrderId"}),
            ("DELETE", "order"): Endpoint(
                self.cancel_order, fixed(1), True,
                SIGNED_COMMON | {"symbol", "orderId", "origClientOrderId", "newClientOrderId",
                                 "cancelRestrictions"}),
            ("GET", "openOrders"): Endpoint(
                self.open_orders, lambda p: 6 if "symbol" in p else 80, True,
                SIGNED_COMMON | {"symbol"}),
            ("DELETE", "openOrders"): Endpoint(
                self.cancel_open_orders, fixed(1), True, SIGNED_COMMON | {"symbol"}),
            ("GET", "account"): Endpoint(
                self.account, fixed(20), True, SIGNED_COMMON | {"omitZeroBalances"}),
            ("GET", "myTrades"): Endpoint(
                self.my_trades, lambda p: 5 if "orderId" in p else 20, True,
                SIGNED_COMMON | {"symbol", "orderId", "startTime", "endTime", "fromId",
                                 "limit"}),
        }

    # ----- public -------------------------------------------------------------------------
    def ping(self, _account: Account | None, _params: dict[str, str]) -> dict[str, Any]:
        return {}

    def time(self, _account: Account | None, _params: dict[str, str]) -> dict[str, Any]:
        return {"serverTime": self.engine.clock.now_ms()}

    def exchange_info(self, _account: Account | None, params: dict[str, str]) -> dict[str, Any]:
        specs = P.symbol_list(params) or list(SYMBOLS.values())
        return {
            "timezone": "UTC", "serverTime": self.engine.clock.now_ms(),
            "rateLimits": rate_limits(self.limiter.weight_limit, self.limiter.orders_10s,
                                      self.limiter.orders_1d),
            "exchangeFilters": [], "symbols": [symbol_info(s) for s in specs], "sors": [],
        }

    def depth(self, _account: Account | None, params: dict[str, str]) -> dict[str, Any]:
        spec = P.symbol(params)
        assert spec is not None
        limit = P.integer(params, "limit") or 100
        if limit < 1:
            raise BinanceError(-1130, "Data sent for parameter 'limit' is not valid.")
        limit = min(limit, 5000)
        book = self.engine.books[spec.symbol]
        return {"lastUpdateId": book.update_id,
                "bids": [[fmt(p), fmt(q)] for p, q in book.bids.depth(limit)],
                "asks": [[fmt(p), fmt(q)] for p, q in book.asks.depth(limit)]}

    def _specs(self, params: dict[str, str]) -> tuple[list[SymbolSpec], bool]:
        single = "symbol" in params
        return (P.symbol_list(params) or list(SYMBOLS.values())), single

    def ticker_price(self, _account: Account | None, params: dict[str, str]) -> Any:
        specs, single = self._specs(params)
        rows = [{"symbol": s.symbol, "price": fmt(self.engine.last_price[s.symbol])}
                for s in specs]
        return rows[0] if single else rows

    def book_ticker(self, _account: Account | None, params: dict[str, str]) -> Any:
        specs, single = self._specs(params)
        rows = []
        for s in specs:
            bid, bid_qty, ask, ask_qty = self.engine.top(s.symbol)
            rows.append({"symbol": s.symbol, "bidPrice": fmt(bid or ZERO),
                         "bidQty": fmt(bid_qty), "askPrice": fmt(ask or ZERO),
                         "askQty": fmt(ask_qty)})
        return rows[0] if single else rows

    def avg_price(self, _account: Account | None, params: dict[str, str]) -> dict[str, Any]:
        spec = P.symbol(params)
        assert spec is not None
        return {"mins": 5, "price": fmt(self.engine.last_price[spec.symbol]),
                "closeTime": self.engine.clock.now_ms()}

    # ----- trading ------------------------------------------------------------------------
    def _order_request(self, account: Account, params: dict[str, str]) -> tuple[
            OrderRequest, str]:
        spec = P.symbol(params)
        assert spec is not None
        side = params.get("side")
        if not side:
            raise mandatory("side")
        if side not in ("BUY", "SELL"):
            raise BinanceError(-1117, "Invalid side.")
        order_type = params.get("type")
        if not order_type:
            raise mandatory("type")
        if order_type in UNSUPPORTED_TYPES:
            raise new_order_rejected(UNSUPPORTED_TYPES[order_type])
        if order_type not in ("LIMIT", "LIMIT_MAKER", "MARKET"):
            raise BinanceError(-1116, "Invalid orderType.")
        for name in ("stopPrice", "trailingDelta", "pegPriceType", "pegOffsetValue",
                     "pegOffsetType"):
            if name in params:
                raise not_required(name)
        if "icebergQty" in params:
            raise new_order_rejected("Iceberg orders are not supported for this symbol.")
        stp = params.get("selfTradePreventionMode")
        if stp is not None and stp != "NONE":
            raise BinanceError(-1130, "Data sent for parameter 'selfTradePreventionMode' is "
                                      "not valid.")
        tif = params.get("timeInForce")
        if tif is not None and tif not in ("GTC", "IOC", "FOK"):
            raise BinanceError(-1115, "Invalid timeInForce.")
        price = P.decimal(params, "price")
        quantity = P.decimal(params, "quantity")
        quote_qty = P.decimal(params, "quoteOrderQty")
        if order_type == "LIMIT":
            if tif is None:
                raise mandatory("timeInForce")
            if price is None:
                raise mandatory("price")
            if quantity is None:
                raise mandatory("quantity")
            if quote_qty is not None:
                raise not_required("quoteOrderQty")
        elif order_type == "LIMIT_MAKER":
            if tif is not None:
                raise BinanceError(-1114, "TimeInForce parameter sent when not required.")
            if price is None:
                raise mandatory("price")
            if quantity is None:
                raise mandatory("quantity")
            if quote_qty is not None:
                raise not_required("quoteOrderQty")
            tif = "GTC"
        else:
            if tif is not None:
                raise BinanceError(-1114, "TimeInForce parameter sent when not required.")
            if price is not None:
                raise not_required("price")
            if quantity is None and quote_qty is None:
                raise either("quantity", "quoteOrderQty")
            if quantity is not None and quote_qty is not None:
                raise not_required("quoteOrderQty")
            tif = "GTC"
        resp_type = params.get("newOrderRespType",
                               "ACK" if order_type == "LIMIT_MAKER" else "FULL")
        if resp_type not in ("ACK", "RESULT", "FULL"):
            raise BinanceError(-1130, "Data sent for parameter 'newOrderRespType' is not valid.")
        client_id = P.client_id(params, "newClientOrderId") or self.engine.new_client_id()
        req = OrderRequest(spec.symbol, side, order_type, tif, price or ZERO, quantity or ZERO,
                           quote_qty or ZERO, client_id)
        self._check_filters(account, spec, req)
        return req, resp_type

    def _check_filters(self, account: Account, spec: SymbolSpec, req: OrderRequest) -> None:
        if req.type != "MARKET":
            if req.price <= 0:
                raise new_order_rejected("Price * QTY is zero or less.")
            if (req.price < spec.min_price or req.price > spec.max_price
                    or not on_grid(req.price, spec.min_price, spec.tick)):
                raise filter_failure("PRICE_FILTER")
        if req.quantity > 0 or req.quote_order_qty == 0:
            if (req.quantity < spec.min_qty or req.quantity > spec.max_qty
                    or not on_grid(req.quantity, spec.min_qty, spec.step)):
                raise filter_failure("LOT_SIZE")
            if req.type == "MARKET" and req.quantity > spec.market_max_qty:
                raise filter_failure("MARKET_LOT_SIZE")
        reference = req.price if req.type != "MARKET" else self.engine.last_price[spec.symbol]
        notional = req.quote_order_qty if req.quote_order_qty > 0 else reference * req.quantity
        name = "MIN_NOTIONAL" if spec.legacy_min_notional else "NOTIONAL"
        if notional < spec.min_notional:
            raise filter_failure(name)
        if (not spec.legacy_min_notional and req.type != "MARKET"
                and notional > spec.max_notional):
            raise filter_failure(name)
        if len(self.engine.open_orders(account, spec.symbol)) >= spec.max_num_orders:
            raise filter_failure("MAX_NUM_ORDERS")

    def new_order(self, account: Account | None, params: dict[str, str]) -> dict[str, Any]:
        assert account is not None
        req, resp_type = self._order_request(account, params)
        order, fills = self.engine.submit(account, req)
        return new_order_view(order, fills, resp_type)

    def test_order(self, account: Account | None, params: dict[str, str]) -> dict[str, Any]:
        assert account is not None
        self._order_request(account, params)
        if P.boolean(params, "computeCommissionRates"):
            rates = {"maker": fmt(MAKER_RATE), "taker": fmt(TAKER_RATE)}
            zero = {"maker": fmt(ZERO), "taker": fmt(ZERO)}
            return {"standardCommissionForOrder": rates, "specialCommissionForOrder": zero,
                    "taxCommissionForOrder": zero,
                    "discount": {"enabledForAccount": False, "enabledForSymbol": False,
                                 "discountAsset": "BNB", "discount": fmt(ZERO)}}
        return {}

    def _lookup(self, account: Account, params: dict[str, str]) -> tuple[
            SymbolSpec, Order | None]:
        spec = P.symbol(params)
        assert spec is not None
        order_id = P.integer(params, "orderId")
        client_id = P.client_id(params, "origClientOrderId")
        if order_id is None and client_id is None:
            raise either("origClientOrderId", "orderId")
        return spec, self.engine.find_order(account, spec.symbol, order_id, client_id)

    def get_order(self, account: Account | None, params: dict[str, str]) -> dict[str, Any]:
        assert account is not None
        _spec, order = self._lookup(account, params)
        if order is None:
            raise err(NO_SUCH_ORDER)
        return order_view(order)

    def cancel_order(self, account: Account | None, params: dict[str, str]) -> dict[str, Any]:
        assert account is not None
        restriction = params.get("cancelRestrictions")
        if restriction is not None and restriction not in ("ONLY_NEW", "ONLY_PARTIALLY_FILLED"):
            raise BinanceError(-1145, "Invalid cancelRestrictions")
        _spec, order = self._lookup(account, params)
        if order is None or not order.is_open:
            raise cancel_rejected(UNKNOWN_ORDER)
        if ((restriction == "ONLY_NEW" and order.status != "NEW")
                or (restriction == "ONLY_PARTIALLY_FILLED"
                    and order.status != "PARTIALLY_FILLED")):
            raise cancel_rejected("Order was not canceled due to cancel restrictions.")
        cancel_id = P.client_id(params, "newClientOrderId") or self.engine.new_client_id()
        self.engine.cancel(account, order, cancel_id)
        return cancel_view(order, cancel_id, order.update_time)

    def open_orders(self, account: Account | None, params: dict[str, str]) -> list[Any]:
        assert account is not None
        spec = P.symbol(params, required=False)
        orders = self.engine.open_orders(account, spec.symbol if spec else None)
        return [order_view(o) for o in sorted(orders, key=lambda o: o.order_id)]

    def cancel_open_orders(self, account: Account | None, params: dict[str, str]) -> list[Any]:
        assert account is not None
        spec = P.symbol(params)
        assert spec is not None
        orders = sorted(self.engine.open_orders(account, spec.symbol), key=lambda o: o.order_id)
        if not orders:
            raise cancel_rejected(UNKNOWN_ORDER)
        cancel_id = self.engine.new_client_id()
        out = []
        for order in orders:
            self.engine.cancel(account, order, cancel_id)
            out.append(cancel_view(order, cancel_id, order.update_time))
        return out

    def account(self, account: Account | None, params: dict[str, str]) -> dict[str, Any]:
        assert account is not None
        omit_zero = P.boolean(params, "omitZeroBalances")
        balances = [{"asset": asset, "free": fmt(b.free), "locked": fmt(b.locked)}
                    for asset, b in sorted(account.balances.items())
                    if not (omit_zero and b.free == 0 and b.locked == 0)]
        maker_bps = int(MAKER_RATE * 10000)
        taker_bps = int(TAKER_RATE * 10000)
        return {
            "makerCommission": maker_bps, "takerCommission": taker_bps,
            "buyerCommission": 0, "sellerCommission": 0,
            "commissionRates": {"maker": fmt(MAKER_RATE), "taker": fmt(TAKER_RATE),
                                "buyer": fmt(ZERO), "seller": fmt(ZERO)},
            "canTrade": True, "canWithdraw": True, "canDeposit": True, "brokered": False,
            "requireSelfTradePrevention": False, "preventSor": False,
            "updateTime": account.update_time, "accountType": "SPOT", "balances": balances,
            "permissions": ["SPOT"], "uid": account.uid,
        }

    def my_trades(self, account: Account | None, params: dict[str, str]) -> list[Any]:
        assert account is not None
        spec = P.symbol(params)
        assert spec is not None
        order_id = P.integer(params, "orderId")
        from_id = P.integer(params, "fromId")
        start = P.integer(params, "startTime")
        end = P.integer(params, "endTime")
        limit = P.integer(params, "limit") or 500
        if limit < 1 or limit > 1000:
            raise BinanceError(-1130, "Data sent for parameter 'limit' is not valid.")
        if start is not None and end is not None and end - start > 86_400_000:
            raise BinanceError(-1127, "More than 24 hours between startTime and endTime.")
        rows = [t for t in self.engine.trades[account.uid] if t.symbol == spec.symbol
                and (order_id is None or t.order_id == order_id)
                and (from_id is None or t.trade_id >= from_id)
                and (start is None or t.time >= start) and (end is None or t.time <= end)]
        rows = rows[:limit] if (from_id is not None or start is not None) else rows[-limit:]
        return [{"symbol": t.symbol, "id": t.trade_id, "orderId": t.order_id,
                 "orderListId": -1, "price": fmt(t.price), "qty": fmt(t.qty),
                 "quoteQty": fmt(t.price * t.qty), "commission": fmt(t.commission),
                 "commissionAsset": t.commission_asset, "time": t.time,
                 "isBuyer": t.is_buyer, "isMaker": t.is_maker, "isBestMatch": True}
                for t in rows]
