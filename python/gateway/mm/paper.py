"""A paper matcher for replays: FIFO queue-position estimate against recorded YES books/trades.

Orders of both tokens live in YES-equivalent space, because the CLOB matches complements: a NO
bid at q is a YES ask at 1 - q. At placement an order queues behind the size shown at its price;
trades at its price eat that queue before filling it, trades through its price fill it, and a
book that moves through it (the opposite best crosses its price) fills it in full. Shrinking
levels shrink the queue ahead (cancellations ahead of us). Taker orders fill at once against the
book up to their limit, pay the taker fee, and the rest is dropped (fill-and-kill).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from gateway.mm.fees import expected_rebate, taker_fee
from gateway.mm.types import ONE, ZERO, Book, DesiredOrder, MarketInfo, RestingOrder, Side, Trade


@dataclass
class PaperOrder:
    order_id: str
    desired: DesiredOrder
    yes_side: Side
    yes_price: Decimal
    remaining: Decimal
    queue_ahead: Decimal
    placed_ns: int


@dataclass(frozen=True, slots=True)
class PaperFill:
    trade_id: str
    order_id: str
    market_id: str
    token_id: str
    outcome: str
    side: Side
    price: Decimal  # in the order's own token
    size: Decimal
    level: int
    liquidity: str  # maker | taker
    fee: Decimal
    rebate: Decimal
    ts_ns: int
    yes_mid: Decimal | None


def _yes_terms(d: DesiredOrder) -> tuple[Side, Decimal]:
    if d.outcome == "YES":
        return d.side, d.price
    return ("SELL" if d.side == "BUY" else "BUY"), ONE - d.price


def _level_size(book: Book, side: Side, price: Decimal) -> Decimal:
    for lv in book.bids if side == "BUY" else book.asks:
        if lv.price == price:
            return lv.size
    return ZERO


class PaperMatcher:
    def __init__(self, markets: Mapping[str, MarketInfo]) -> None:
        self.markets = dict(markets)
        self.books: dict[str, Book] = {}
        self.orders: dict[str, dict[str, PaperOrder]] = {m: {} for m in markets}
        self._seq = 0
        self._fills = 0

    # ---- order entry ----
    def place(self, d: DesiredOrder, now_ns: int) -> tuple[str, str, list[PaperFill]]:
        """(order id, reject reason, immediate fills); a rejected order has id ''."""
        book = self.books.get(d.market_id)
        if book is None:
            return "", "no book", []
        self._seq += 1
        oid = f"p{self._seq}"
        side, price = _yes_terms(d)
        if not d.post_only:
            return oid, "", self._take(oid, d, side=side, price=price, book=book, now_ns=now_ns)
        crosses = (
            side == "BUY" and book.best_ask is not None and price >= book.best_ask
        ) or (side == "SELL" and book.best_bid is not None and price <= book.best_bid)
        if crosses:
            return "", "invalid post-only order: order crosses book", []
        ahead = _level_size(book, side, price)
        self.orders[d.market_id][oid] = PaperOrder(oid, d, side, price, d.size, ahead, now_ns)
        return oid, "", []

    def cancel(self, market_id: str, order_id: str) -> bool:
        return self.orders[market_id].pop(order_id, None) is not None

    def cancel_all(self, market_id: str) -> list[str]:
        ids = list(self.orders[market_id])
        self.orders[market_id].clear()
        return ids

    def resting(self, market_id: str) -> tuple[RestingOrder, ...]:
        return tuple(
            RestingOrder(o.order_id, o.desired.token_id, o.desired.side, o.desired.price,
                         o.remaining, o.placed_ns)
            for o in self.orders[market_id].values()
        )

    # ---- market data ----
    def on_book(self, market_id: str, book: Book) -> list[PaperFill]:
        self.books[market_id] = book
        fills: list[PaperFill] = []
        for o in list(self.orders[market_id].values()):
            through = (
                o.yes_side == "BUY" and book.best_ask is not None and book.best_ask <= o.yes_price
            ) or (
                o.yes_side == "SELL" and book.best_bid is not None and book.best_bid >= o.yes_price
            )
            if through:
                fills.append(self._fill(o, o.remaining, book.ts_ns))
                continue
            o.queue_ahead = min(o.queue_ahead, _level_size(book, o.yes_side, o.yes_price))
        return fills

    def on_trade(self, market_id: str, trade: Trade) -> list[PaperFill]:
        """A public YES trade: a taker SELL at t hits YES-equivalent bids at >= t, best first."""
        maker_side: Side = "BUY" if trade.taker_side == "SELL" else "SELL"
        hit = [
            o for o in self.orders[market_id].values()
            if o.yes_side == maker_side
            and (o.yes_price >= trade.price if maker_side == "BUY" else o.yes_price <= trade.price)
        ]
        sign = -1 if maker_side == "BUY" else 1
        hit.sort(key=lambda o: (sign * o.yes_price, o.placed_ns, o.order_id))
        avail = trade.size
        fills: list[PaperFill] = []
        for o in hit:
            if avail <= 0:
                break
            if o.yes_price == trade.price:
                eaten = min(o.queue_ahead, avail)
                o.queue_ahead -= eaten
                avail -= eaten
            qty = min(o.remaining, avail)
            if qty > 0:
                avail -= qty
                fills.append(self._fill(o, qty, trade.ts_ns))
        return fills

    # ---- internals ----
    def _mid(self, market_id: str) -> Decimal | None:
        book = self.books.get(market_id)
        return book.mid if book is not None else None

    def _fill(self, o: PaperOrder, qty: Decimal, ts_ns: int) -> PaperFill:
        d = o.desired
        o.remaining -= qty
        if o.remaining <= 0:
            del self.orders[d.market_id][o.order_id]
        self._fills += 1
        fees = self.markets[d.market_id].fees
        return PaperFill(
            f"t{self._fills}", o.order_id, d.market_id, d.token_id, d.outcome, d.side, d.price,
            qty, d.level, "maker", ZERO, expected_rebate(qty, d.price, fees), ts_ns,
            self._mid(d.market_id),
        )

    def _take(
        self, oid: str, d: DesiredOrder, *, side: Side, price: Decimal, book: Book, now_ns: int
    ) -> list[PaperFill]:
        levels = book.asks if side == "BUY" else book.bids
        left = d.size
        fills: list[PaperFill] = []
        fees = self.markets[d.market_id].fees
        for lv in levels:
            if left <= 0 or (lv.price > price if side == "BUY" else lv.price < price):
                break
            qty = min(left, lv.size)
            left -= qty
            own = lv.price if d.outcome == "YES" else ONE - lv.price
            self._fills += 1
            fills.append(
                PaperFill(
                    f"t{self._fills}", oid, d.market_id, d.token_id, d.outcome, d.side, own, qty,
                    d.level, "taker", taker_fee(qty, own, fees), ZERO, now_ns, book.mid,
                )
            )
        return fills
