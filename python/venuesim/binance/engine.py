"""The matching engine: orders, price-time matching, balances, fees and the events they raise.

Everything here is synchronous and runs on the event loop thread, so each call is atomic.
Transports (REST, WebSocket API) validate parameters and call `submit` / `cancel`; streams
subscribe to `market_sinks` and `user_sinks`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from .accounts import MAKER_RATE, TAKER_RATE, Account
from .book import Book, Order
from .clock import Clock
from .errors import INSUFFICIENT_BALANCE, WOULD_TAKE, BinanceError, new_order_rejected
from .symbols import SYMBOLS, fmt

ZERO = Decimal(0)
EIGHT = Decimal("0.00000001")

MarketSink = Callable[[str, str, dict[str, Any]], None]  # (symbol, kind, payload)
UserSink = Callable[[Account, dict[str, Any]], None]


@dataclass
class Fill:
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    trade_id: int


@dataclass
class OrderRequest:
    symbol: str
    side: str
    type: str
    time_in_force: str
    price: Decimal
    quantity: Decimal
    quote_order_qty: Decimal
    client_order_id: str


@dataclass
class AccountTrade:
    symbol: str
    trade_id: int
    order_id: int
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool


@dataclass
class Stats:
    orders_received: int = 0
    orders_accepted: int = 0
    rejected: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    cancels: int = 0
    fills: int = 0
    background_trades: int = 0
    fees: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    per_account: dict[str, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    def as_json(self) -> dict[str, Any]:
        return {
            "orders_received": self.orders_received, "orders_accepted": self.orders_accepted,
            "rejected": dict(self.rejected), "cancels": self.cancels, "fills": self.fills,
            "background_trades": self.background_trades,
            "fees": {k: fmt(v) for k, v in self.fees.items()},
            "per_account": {k: dict(v) for k, v in self.per_account.items()},
        }


class Engine:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.books = {name: Book(name) for name in SYMBOLS}
        self.orders: dict[int, Order] = {}
        self.trades: dict[int, list[AccountTrade]] = defaultdict(list)  # by account uid
        self.last_price: dict[str, Decimal] = {n: s.start_price for n, s in SYMBOLS.items()}
        self.market_sinks: list[MarketSink] = []
        self.user_sinks: list[UserSink] = []
        self.stats = Stats()
        self._next_order_id = 5_000_000
        self._next_trade_id: dict[str, int] = dict.fromkeys(SYMBOLS, 300_000)
        self._next_exec_id = 9_000_000
        self._next_client_id = 0
        self._touched: dict[int, tuple[Account, set[str]]] = {}
        self._last_top: dict[str, tuple[Any, ...]] = {}

    # ----- identifiers --------------------------------------------------------------------
    def new_client_id(self) -> str:
        self._next_client_id += 1
        return f"sim{self._next_client_id:019d}"

    def _order_id(self) -> int:
        self._next_order_id += 1
        return self._next_order_id

    def _exec_id(self) -> int:
        self._next_exec_id += 1
        return self._next_exec_id

    # ----- queries ------------------------------------------------------------------------
    def open_orders(self, account: Account, symbol: str | None) -> list[Order]:
        return [o for o in self.orders.values()
                if o.owner is account and o.is_open and (symbol is None or o.symbol == symbol)]

    def find_order(self, account: Account, symbol: str, order_id: int | None,
                   client_id: str | None) -> Order | None:
        """orderId is searched first, then origClientOrderId must match that order."""
        if order_id is not None:
            order = self.orders.get(order_id)
            if order is None or order.owner is not account or order.symbol != symbol:
                return None
            if client_id is not None and order.client_order_id != client_id:
                return None
            return order
        matches = [o for o in self.orders.values() if o.owner is account
                   and o.symbol == symbol and o.client_order_id == client_id]
        if not matches:
            return None
        open_matches = [o for o in matches if o.is_open]
        return (open_matches or matches)[-1]

    def top(self, symbol: str) -> tuple[Decimal | None, Decimal, Decimal | None, Decimal]:
        book = self.books[symbol]
        bid, ask = book.bids.best(), book.asks.best()
        return (bid, book.bids.level_qty(bid) if bid is not None else ZERO,
                ask, book.asks.level_qty(ask) if ask is not None else ZERO)

    # ----- order entry --------------------------------------------------------------------
    def submit(self, owner: Account | None, req: OrderRequest) -> tuple[Order, list[Fill]]:
        """Validate balances, match, rest or expire. Raises BinanceError on rejection."""
        now = self.clock.now_ms()
        book = self.books[req.symbol]
        spec = SYMBOLS[req.symbol]
        is_buy = req.side == "BUY"
        opposite = book.side(not is_buy)
        if owner is not None:
            self.stats.orders_received += 1
            self.stats.per_account[owner.api_key]["orders"] += 1
            for o in self.open_orders(owner, req.symbol):
                if o.client_order_id == req.client_order_id:
                    raise new_order_rejected("Duplicate order sent.")
        if req.type == "LIMIT_MAKER" and opposite.crosses(req.price, is_buy):
            raise new_order_rejected(WOULD_TAKE)
        if req.type == "MARKET" and req.quote_order_qty > 0:
            req.quantity = self._qty_for_quote(book, req.quote_order_qty, is_buy)
        lock_asset = spec.quote if is_buy else spec.base
        lock = self._amount_to_lock(book, req, is_buy)
        if owner is not None:
            bal = owner.balance(lock_asset)
            if bal.free < lock:
                raise new_order_rejected(INSUFFICIENT_BALANCE)
        order = Order(order_id=self._order_id(), client_order_id=req.client_order_id,
                      symbol=req.symbol, side=req.side, type=req.type,
                      time_in_force=req.time_in_force, price=req.price,
                      orig_qty=req.quantity, quote_order_qty=req.quote_order_qty,
                      owner=owner, created=now, update_time=now)
        self.orders[order.order_id] = order
        if owner is not None:
            order.locked = lock
            bal = owner.balance(lock_asset)
            bal.free -= lock
            bal.locked += lock
            self._touch(owner, lock_asset)
            self.stats.orders_accepted += 1
            will_rest = req.type != "MARKET" and req.time_in_force == "GTC"
            if will_rest and not opposite.crosses(req.price, is_buy):
                order.working_time = now
            self._report(order, "NEW", now)
        fills: list[Fill] = []
        if req.time_in_force == "FOK" and not self._fok_fillable(book, req, is_buy):
            self._finish(order, "EXPIRED", now, "UNFILLED_FOK_ORDER_EXPIRED")
        else:
            fills = self._match(book, order, now)
            self._after_match(book, order, now)
        self._commit(book)
        self._flush_accounts(now)
        return order, fills

    def _amount_to_lock(self, book: Book, req: OrderRequest, is_buy: bool) -> Decimal:
        """Funds a new order reserves: quote for a buy, base for a sell."""
        if not is_buy:
            return req.quantity
        if req.type != "MARKET":
            return (req.price * req.quantity).quantize(EIGHT)
        cost, left = ZERO, req.quantity
        for price in book.asks.prices:
            take = min(left, book.asks.level_qty(price))
            cost += take * price
            left -= take
            if left <= 0:
                break
        return cost.quantize(EIGHT)

    def _qty_for_quote(self, book: Book, quote: Decimal, is_buy: bool) -> Decimal:
        """Base quantity whose notional against the book comes closest to `quote` (LOT_SIZE)."""
        step = SYMBOLS[book.symbol].step
        side = book.side(not is_buy)
        left, base = quote, ZERO
        for price in side.prices:
            take = min(side.level_qty(price), left / price)
            base += take
            left -= take * price
            if left <= 0:
                break
        return base.quantize(step, rounding=ROUND_DOWN)

    def _fok_fillable(self, book: Book, req: OrderRequest, is_buy: bool) -> bool:
        side, need = book.side(not is_buy), req.quantity
        for price in side.prices:
            if not (price <= req.price if is_buy else price >= req.price):
                break
            need -= side.level_qty(price)
            if need <= 0:
                return True
        return False

    def _match(self, book: Book, taker: Order, now: int) -> list[Fill]:
        is_buy = taker.side == "BUY"
        side = book.side(not is_buy)
        fills: list[Fill] = []
        while side.prices:
            price = side.prices[0]
            if taker.type != "MARKET" and not side.crosses(taker.price, is_buy):
                break
            maker = side.levels[price][0]
            qty = min(maker.remaining, taker.remaining)
            if qty <= 0:
                break
            fills.append(self._trade(taker, maker, price, qty, now=now))
            if maker.remaining <= 0:
                side.remove(maker)
                self._finish(maker, "FILLED", now, None, report=False)
            book.touch(maker.side == "BUY", price)
        return fills

    def _trade(self, taker: Order, maker: Order, price: Decimal, qty: Decimal, *,
               now: int) -> Fill:
        self._next_trade_id[taker.symbol] += 1
        trade_id = self._next_trade_id[taker.symbol]
        self.last_price[taker.symbol] = price
        quote = (price * qty).quantize(EIGHT)
        taker_fill = None
        for order, is_maker in ((maker, True), (taker, False)):
            order.executed += qty
            order.cum_quote += quote
            order.update_time = now
            order.status = "FILLED" if order.remaining <= 0 else "PARTIALLY_FILLED"
            fill = self._settle(order, is_maker, price, qty, quote=quote, trade_id=trade_id,
                                 now=now)
            if not is_maker:
                taker_fill = fill
        buyer_is_maker = maker.side == "BUY"
        if taker.owner is None and maker.owner is None:
            self.stats.background_trades += 1
        for sink in self.market_sinks:
            sink(taker.symbol, "trade", {
                "e": "trade", "E": now, "s": taker.symbol, "t": trade_id, "p": fmt(price),
                "q": fmt(qty), "T": now, "m": buyer_is_maker, "M": True})
        assert taker_fill is not None
        return taker_fill

    def _settle(self, order: Order, is_maker: bool, price: Decimal, qty: Decimal, *,
                quote: Decimal, trade_id: int, now: int) -> Fill:
        """Move funds for one side of a trade, charge the fee, report it."""
        spec = SYMBOLS[order.symbol]
        rate = MAKER_RATE if is_maker else TAKER_RATE
        is_buy = order.side == "BUY"
        if is_buy:
            commission, commission_asset = (qty * rate).quantize(EIGHT), spec.base
        else:
            commission, commission_asset = (quote * rate).quantize(EIGHT), spec.quote
        fill = Fill(price, qty, commission, commission_asset, trade_id)
        owner = order.owner
        if owner is None:
            return fill
        spent_asset, spent = (spec.quote, quote) if is_buy else (spec.base, qty)
        got_asset, got = (spec.base, qty - commission) if is_buy else (spec.quote,
                                                                        quote - commission)
        spend = min(spent, order.locked)
        order.locked -= spend
        owner.balance(spent_asset).locked -= spend
        owner.balance(got_asset).free += got
        self._touch(owner, spent_asset)
        self._touch(owner, got_asset)
        self.trades[owner.uid].append(AccountTrade(
            order.symbol, trade_id, order.order_id, price, qty, commission, commission_asset,
            now, is_buy, is_maker))
        self.stats.fills += 1
        self.stats.fees[commission_asset] += commission
        self.stats.per_account[owner.api_key]["fills"] += 1
        self._report(order, "TRADE", now, last=fill, is_maker=is_maker)
        return fill

    def _after_match(self, book: Book, order: Order, now: int) -> None:
        if order.remaining <= 0 and order.orig_qty > 0:
            self._finish(order, "FILLED", now, None, report=False)
            return
        if order.type == "MARKET":
            self._finish(order, "EXPIRED", now, "INSUFFICIENT_LIQUIDITY")
            return
        if order.time_in_force == "IOC":
            self._finish(order, "EXPIRED", now, "UNFILLED_IOC_QUANTITY_EXPIRED")
            return
        # GTC remainder rests; release any reservation beyond what the rest still needs.
        if order.working_time < 0:
            order.working_time = now
        book.side(order.side == "BUY").add(order)
        book.touch(order.side == "BUY", order.price)
        if order.owner is not None and order.side == "BUY":
            need = (order.price * order.remaining).quantize(EIGHT)
            self._release(order, order.locked - need)

    def _release(self, order: Order, amount: Decimal) -> None:
        owner = order.owner
        if owner is None or amount <= 0:
            return
        spec = SYMBOLS[order.symbol]
        asset = spec.quote if order.side == "BUY" else spec.base
        amount = min(amount, order.locked)
        order.locked -= amount
        bal = owner.balance(asset)
        bal.locked -= amount
        bal.free += amount
        self._touch(owner, asset)

    def _finish(self, order: Order, status: str, now: int, expiry: str | None, *,
                report: bool = True, cancel_client_id: str | None = None) -> None:
        order.status = status
        order.update_time = now
        order.expiry_reason = expiry
        self._release(order, order.locked)
        if report and order.owner is not None:
            exec_type = "CANCELED" if status == "CANCELED" else status
            self._report(order, exec_type, now, cancel_client_id=cancel_client_id)

    def cancel(self, owner: Account | None, order: Order, cancel_client_id: str) -> None:
        now = self.clock.now_ms()
        book = self.books[order.symbol]
        book.side(order.side == "BUY").remove(order)
        book.touch(order.side == "BUY", order.price)
        if owner is not None:
            self.stats.cancels += 1
            self.stats.per_account[owner.api_key]["cancels"] += 1
        self._finish(order, "CANCELED", now, None, cancel_client_id=cancel_client_id)
        self._commit(book)
        self._flush_accounts(now)

    # ----- events -------------------------------------------------------------------------
    def _touch(self, account: Account, asset: str) -> None:
        self._touched.setdefault(account.uid, (account, set()))[1].add(asset)

    def _flush_accounts(self, now: int) -> None:
        touched, self._touched = self._touched, {}
        for account, assets in touched.values():
            account.update_time = now
            event = {"e": "outboundAccountPosition", "E": now, "u": now, "B": [
                {"a": a, "f": fmt(account.balance(a).free), "l": fmt(account.balance(a).locked)}
                for a in sorted(assets)]}
            for sink in self.user_sinks:
                sink(account, event)

    def _commit(self, book: Book) -> None:
        """Publish the level changes of one engine operation as one book update id."""
        if not book.pending:
            return
        book.update_id += 1
        changes = [(is_bid, price, qty) for (is_bid, price), qty in book.pending.items()]
        book.pending = {}
        for sink in self.market_sinks:
            sink(book.symbol, "depth", {"U": book.update_id, "u": book.update_id,
                                        "changes": changes})
        bid, bid_qty, ask, ask_qty = self.top(book.symbol)
        top = (bid, bid_qty, ask, ask_qty)
        if self._last_top.get(book.symbol) != top:
            self._last_top[book.symbol] = top
            event = {"u": book.update_id, "s": book.symbol,
                     "b": fmt(bid or ZERO), "B": fmt(bid_qty),
                     "a": fmt(ask or ZERO), "A": fmt(ask_qty)}
            for sink in self.market_sinks:
                sink(book.symbol, "bookTicker", event)

    def _report(self, order: Order, exec_type: str, now: int, *, last: Fill | None = None,
                is_maker: bool = False, cancel_client_id: str | None = None) -> None:
        owner = order.owner
        if owner is None:
            return
        event: dict[str, Any] = {
            "e": "executionReport", "E": now, "s": order.symbol,
            "c": cancel_client_id if cancel_client_id is not None else order.client_order_id,
            "S": order.side, "o": order.type, "f": order.time_in_force,
            "q": fmt(order.orig_qty), "p": fmt(order.price), "P": fmt(ZERO), "F": fmt(ZERO),
            "g": -1, "C": order.client_order_id if cancel_client_id is not None else "",
            "x": exec_type, "X": order.status, "r": "NONE", "i": order.order_id,
            "l": fmt(last.qty if last else ZERO), "z": fmt(order.executed),
            "L": fmt(last.price if last else ZERO),
            "n": fmt(last.commission) if last else "0",
            "N": last.commission_asset if last else None,
            "T": now, "t": last.trade_id if last else -1, "I": self._exec_id(),
            "w": order.is_open and order.working_time >= 0,
            "m": is_maker, "M": False, "O": order.created, "Z": fmt(order.cum_quote),
            "Y": fmt((last.price * last.qty).quantize(EIGHT) if last else ZERO),
            "Q": fmt(order.quote_order_qty),
        }
        if order.working_time >= 0:
            event["W"] = order.working_time
        event["V"] = "NONE"
        if order.status == "EXPIRED" and order.expiry_reason:
            event["eR"] = order.expiry_reason
        for sink in self.user_sinks:
            sink(owner, event)

    # ----- admin --------------------------------------------------------------------------
    def credit(self, account: Account, asset: str, delta: Decimal) -> None:
        """A deposit or withdrawal: balanceUpdate then outboundAccountPosition."""
        now = self.clock.now_ms()
        bal = account.balance(asset)
        if bal.free + delta < 0:
            raise BinanceError(-2010, INSUFFICIENT_BALANCE)
        bal.free += delta
        event = {"e": "balanceUpdate", "E": now, "a": asset, "d": fmt(delta), "T": now}
        for sink in self.user_sinks:
            sink(account, event)
        self._touch(account, asset)
        self._flush_accounts(now)
