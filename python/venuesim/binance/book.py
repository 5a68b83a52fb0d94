"""One symbol's order book: price levels of FIFO queues (price-time priority)."""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from .accounts import Account


@dataclass
class Order:
    order_id: int
    client_order_id: str
    symbol: str
    side: str  # BUY | SELL
    type: str  # LIMIT | LIMIT_MAKER | MARKET
    time_in_force: str  # GTC | IOC | FOK (MARKET and LIMIT_MAKER report GTC)
    price: Decimal  # 0 for MARKET
    orig_qty: Decimal
    quote_order_qty: Decimal
    owner: Account | None  # None: the simulator's background liquidity
    created: int
    update_time: int
    executed: Decimal = Decimal(0)
    cum_quote: Decimal = Decimal(0)
    status: str = "NEW"
    working_time: int = -1
    locked: Decimal = Decimal(0)  # still reserved on the owner's balance for this order
    expiry_reason: str | None = None

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed

    @property
    def is_open(self) -> bool:
        return self.status in ("NEW", "PARTIALLY_FILLED")


@dataclass
class Side:
    """One side of the book. `prices` is kept sorted best-first."""

    is_bid: bool
    levels: dict[Decimal, deque[Order]] = field(default_factory=dict)
    prices: list[Decimal] = field(default_factory=list)

    def _key(self, price: Decimal) -> Decimal:
        return -price if self.is_bid else price

    def best(self) -> Decimal | None:
        return self.prices[0] if self.prices else None

    def add(self, order: Order) -> None:
        queue = self.levels.get(order.price)
        if queue is None:
            queue = deque()
            self.levels[order.price] = queue
            keys = [self._key(p) for p in self.prices]
            self.prices.insert(bisect.bisect_left(keys, self._key(order.price)), order.price)
        queue.append(order)

    def remove(self, order: Order) -> None:
        queue = self.levels.get(order.price)
        if queue is None:
            return
        try:
            queue.remove(order)
        except ValueError:
            return
        if not queue:
            del self.levels[order.price]
            self.prices.remove(order.price)

    def level_qty(self, price: Decimal) -> Decimal:
        queue = self.levels.get(price)
        return sum((o.remaining for o in queue), Decimal(0)) if queue else Decimal(0)

    def depth(self, limit: int) -> list[tuple[Decimal, Decimal]]:
        return [(p, self.level_qty(p)) for p in self.prices[:limit]]

    def crosses(self, price: Decimal, taker_is_buy: bool) -> bool:
        """Would a taker at `price` trade against this side's best level?"""
        best = self.best()
        if best is None:
            return False
        return best <= price if taker_is_buy else best >= price


@dataclass
class Book:
    symbol: str
    bids: Side = field(default_factory=lambda: Side(is_bid=True))
    asks: Side = field(default_factory=lambda: Side(is_bid=False))
    update_id: int = 1_000_000
    # (is_bid, price) -> new aggregate quantity, since the last commit
    pending: dict[tuple[bool, Decimal], Decimal] = field(default_factory=dict)

    def side(self, is_bid: bool) -> Side:
        return self.bids if is_bid else self.asks

    def touch(self, is_bid: bool, price: Decimal) -> None:
        self.pending[(is_bid, price)] = self.side(is_bid).level_qty(price)
