"""The paper exchange: our orders matched against the live venue book, never sent.

Queue position is a FIFO estimate. When an order rests at a price, the size already at
that price is `ahead` of it. A trade at our price consumes `ahead` first and only then
fills us; a trade through our price (the level was exhausted) fills us entirely. A level
that shrinks (cancellations, or trades) caps `ahead` at the level's new size, applied
after any trade message that explains the shrink, so a trade is never counted twice.
Orders that would cross are refused when post-only (as the venue does) and otherwise take
the visible liquidity at once, paying the venue's taker fee curve
(`size x rate x (p(1-p))^exponent`, floored to 1e-5); makers pay no fee. Rebates are paid
by the venue daily from a pool shared with every maker, so they are not booked here;
`maker_fee_equiv` (the rebate weight) is reported instead.

A trade is seen from both outcome tokens: a taker BUY of token A at p is a taker SELL of
its complement at 1 - p.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from gateway.book import Book
from gateway.discovery import MarketInfo
from gateway.venue import PlaceRequest, PlaceResult

log = logging.getLogger("gateway.paper")

ZERO = Decimal(0)
FEE_QUANTUM = Decimal("0.00001")


def taker_fee(qty: Decimal, price: Decimal, m: MarketInfo) -> Decimal:
    if not m.fees_enabled or m.fee_rate == 0:
        return ZERO
    fee = qty * m.fee_rate * (price * (1 - price)) ** int(m.fee_exponent)
    return fee.quantize(FEE_QUANTUM, rounding=ROUND_FLOOR)


@dataclass(slots=True)
class PaperFill:
    voi: str
    trade_id: str
    token: str
    side: str
    price: Decimal
    qty: Decimal
    fee: Decimal
    liquidity: str          # maker / taker
    ts_ns: int


@dataclass(slots=True)
class PaperOrder:
    voi: str
    token: str
    side: str
    price: Decimal
    size: Decimal
    filled: Decimal = ZERO
    ahead: Decimal = ZERO
    pending_cap: Decimal | None = None
    cross_used: Decimal = ZERO     # crossing venue liquidity already counted as our fills

    @property
    def remaining(self) -> Decimal:
        return self.size - self.filled


class PaperVenue:
    name = "paper"

    def __init__(self, books: Mapping[str, Book], market_of: Callable[[str], MarketInfo | None],
                 on_fill: Callable[[PaperFill], None],
                 on_closed: Callable[[str, str], None] | None = None,
                 now_ns: Callable[[], int] = time.time_ns) -> None:
        self.books = books
        self.market_of = market_of
        self.on_fill = on_fill
        self.on_closed = on_closed or (lambda _voi, _why: None)
        self.now_ns = now_ns
        # fills of an order taking liquidity as it is placed: delivered after place() has
        # returned (the caller learns the order's id first, as with the venue's own events)
        self._deferred: list[PaperFill | tuple[str, str]] = []
        self.orders: dict[str, PaperOrder] = {}
        self._ids = itertools.count(1)
        self._trade_ids = itertools.count(1)
        self._taking = False
        # ids unique across restarts: trader and the record drop a trade id they have seen
        self._run = f"{time.time_ns() // 1_000_000 % 10**11:x}"
        self.maker_fee_equiv = ZERO

    # ---- OrderVenue ----------------------------------------------------------------
    async def place(self, reqs: list[PlaceRequest]) -> list[PlaceResult]:
        out = [self._place(r) for r in reqs]
        if self._deferred:
            asyncio.get_running_loop().call_soon(self._deliver)
        return out

    def _deliver(self) -> None:
        items, self._deferred = self._deferred, []
        for it in items:
            if isinstance(it, PaperFill):
                self.on_fill(it)
            else:
                self.on_closed(*it)

    async def cancel(self, vois: list[str], trace: Any = None
                     ) -> tuple[list[str], dict[str, str]]:
        done, nc = [], {}
        for v in vois:
            if self.orders.pop(v, None) is not None:
                done.append(v)
            else:
                nc[v] = "already canceled or matched"
        return done, nc

    async def cancel_all(self) -> list[str]:
        ids = list(self.orders)
        self.orders.clear()
        return ids

    # ---- placement -----------------------------------------------------------------
    def _place(self, r: PlaceRequest) -> PlaceResult:
        m = self.market_of(r.token)
        book = self.books.get(r.token)
        if m is None or book is None or not book.synced:
            return PlaceResult(r.cid, False, error="the market is not yet ready to process "
                                                   "new orders")
        if r.size < m.min_size:
            return PlaceResult(r.cid, False, error=f"order is invalid. Size ({r.size}) lower "
                                                   f"than the minimum: {m.min_size}")
        if r.price % book.tick != 0 or not book.tick <= r.price <= 1 - book.tick:
            return PlaceResult(r.cid, False, error=f"price {r.price} breaks minimum tick size "
                                                   f"rule: {book.tick}")
        bb, ba = book.best()
        crosses = (r.side == "BUY" and ba is not None and r.price >= ba) or \
                  (r.side == "SELL" and bb is not None and r.price <= bb)
        voi = f"paper-{self._run}-{next(self._ids)}"
        o = PaperOrder(voi, r.token, r.side, r.price, r.size)
        if crosses:
            if r.post_only:
                return PlaceResult(r.cid, False,
                                   error="invalid post-only order: order crosses book")
            if r.order_type == "FOK" and sum(
                    (s for p, s in (book.asks if r.side == "BUY" else book.bids).items()
                     if (p <= r.price if r.side == "BUY" else p >= r.price)), ZERO) < r.size:
                return PlaceResult(r.cid, False, error="order couldn't be fully filled. FOK "
                                   "orders are fully filled or killed.")
            self._taking = True
            try:
                self._take(o, book, m)
            finally:
                self._taking = False
            if o.remaining <= 0:
                return PlaceResult(r.cid, True, voi=voi, status="matched")
            if r.order_type in ("FOK", "FAK"):
                self._deferred.append((voi, "FAK remainder killed"))
                return PlaceResult(r.cid, True, voi=voi, status="matched" if o.filled
                                   else "unmatched")
        elif r.order_type in ("FOK", "FAK"):
            # nothing to take: the venue refuses a FAK that matches nothing
            return PlaceResult(r.cid, False, error="no orders found to match with FAK order. "
                               "FAK orders are partially filled or killed if no match is found.")
        o.ahead = book.size_at(r.side, r.price)
        self.orders[voi] = o
        return PlaceResult(r.cid, True, voi=voi, status="live")

    def _take(self, o: PaperOrder, book: Book, m: MarketInfo) -> None:
        """Fill a crossing order from the visible opposite levels (the book itself is the
        venue's and is not changed: the next venue message will say what really rests)."""
        if o.side == "BUY":
            levels = sorted((p, s) for p, s in book.asks.items() if p <= o.price)
        else:
            levels = sorted(((p, s) for p, s in book.bids.items() if p >= o.price), reverse=True)
        for px, sz in levels:
            q = min(sz, o.remaining)
            if q <= 0:
                break
            self._fill(o, px, q, "taker", m)

    def _fill(self, o: PaperOrder, px: Decimal, q: Decimal, liq: str, m: MarketInfo) -> None:
        o.filled += q
        fee = taker_fee(q, px, m) if liq == "taker" else ZERO
        if liq == "maker" and m.fees_enabled:
            self.maker_fee_equiv += q * m.fee_rate * px * (1 - px)
        tid = f"paper-{self._run}-t{next(self._trade_ids)}"
        f = PaperFill(o.voi, tid, o.token, o.side, px, q, fee, liq, self.now_ns())
        if self._taking:
            self._deferred.append(f)
        else:
            self.on_fill(f)

    # ---- venue market data ---------------------------------------------------------
    def on_level(self, token: str, side: str, price: Decimal, size: Decimal) -> None:
        for o in self.orders.values():
            if o.token == token and o.side == side and o.price == price:
                if o.pending_cap is not None:
                    o.ahead = min(o.ahead, o.pending_cap)
                o.pending_cap = size

    def on_book(self, token: str) -> None:
        """After the venue book of `token` changed: venue liquidity resting at or through our
        price (a taker larger than the queue left its rest there) would have matched us."""
        book = self.books.get(token)
        m = self.market_of(token)
        if book is None or m is None:
            return
        done = []
        for o in self.orders.values():
            if o.token != token or o.remaining <= 0:
                continue
            if o.side == "BUY":
                crossing = sum((s for px, s in book.asks.items() if px <= o.price), ZERO)
            else:
                crossing = sum((s for px, s in book.bids.items() if px >= o.price), ZERO)
            o.cross_used = min(o.cross_used, crossing)
            q = min(o.remaining, crossing - o.cross_used)
            if q > 0:
                o.cross_used += q
                self._fill(o, o.price, q, "maker", m)
                if o.remaining <= 0:
                    done.append(o.voi)
        for v in done:
            self.orders.pop(v, None)

    def on_snapshot(self, token: str) -> None:
        book = self.books.get(token)
        if book is None:
            return
        for o in self.orders.values():
            if o.token == token:
                o.ahead = min(o.ahead, book.size_at(o.side, o.price))
                o.pending_cap = None
        self.on_book(token)

    def on_trade(self, token: str, taker_side: str, price: Decimal, size: Decimal) -> None:
        """A venue trade (last_trade_price) of `size` on `token` with the taker on
        `taker_side` at `price`."""
        m = self.market_of(token)
        if m is None or size <= 0:
            return
        other = m.complement(token)
        views = ((token, taker_side, price),
                 (other, "SELL" if taker_side == "BUY" else "BUY", 1 - price))
        done: list[str] = []
        for o in list(self.orders.values()):
            for tok, tside, px in views:
                if o.token != tok or o.remaining <= 0:
                    continue
                # our BUY rests on the bid side: a taker SELL hits it; our SELL: a taker BUY
                if (o.side == "BUY") == (tside == "BUY"):
                    continue
                through = px < o.price if o.side == "BUY" else px > o.price
                if through:
                    q = o.remaining
                elif px == o.price:
                    used = min(o.ahead, size)
                    o.ahead -= used
                    q = min(o.remaining, size - used)
                else:
                    q = ZERO
                if o.pending_cap is not None:
                    o.ahead = min(o.ahead, o.pending_cap)
                    o.pending_cap = None
                if q > 0:
                    self._fill(o, o.price, q, "maker", m)
            if o.remaining <= 0:
                done.append(o.voi)
        for v in done:
            self.orders.pop(v, None)
