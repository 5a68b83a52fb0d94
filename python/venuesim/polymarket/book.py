"""One order book per market, kept in outcome-0 (YES) prices.

A BUY of outcome 1 at q rests as a YES-ask at 1-q and a SELL of outcome 1 at q as a
YES-bid at 1-q, so a BUY YES at p crosses a BUY NO at 1-p (the venue mints the pair),
exactly as the venue shows one mirrored book for both tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .units import ONE


@dataclass
class Order:
    id: str
    owner: str  # API key (or the house account name)
    maker_address: str
    market: str  # condition id
    token_id: str
    outcome_index: int
    side: str  # "BUY" / "SELL" in the order's own token
    price: int  # micro, in the order's own token
    size: int  # micro shares (original)
    order_type: str
    expiration: int
    created_at: float
    seq: int
    house: bool = False
    outcome: str = ""
    matched: int = 0
    status: str = "LIVE"
    associate_trades: list[str] = field(default_factory=list)
    fee_rate_bps: int = 0

    @property
    def remaining(self) -> int:
        return self.size - self.matched

    @property
    def buys_yes(self) -> bool:
        """Whether this order sits on the YES-bid side of the mirrored book."""
        return (self.outcome_index == 0) == (self.side == "BUY")

    @property
    def yes_price(self) -> int:
        return self.price if self.outcome_index == 0 else ONE - self.price


class Book:
    """Resting orders of one market: price -> FIFO list, per side, in YES prices."""

    def __init__(self) -> None:
        self.bids: dict[int, list[Order]] = {}
        self.asks: dict[int, list[Order]] = {}

    def side(self, buys_yes: bool) -> dict[int, list[Order]]:
        return self.bids if buys_yes else self.asks

    def add(self, order: Order) -> None:
        self.side(order.buys_yes).setdefault(order.yes_price, []).append(order)

    def remove(self, order: Order) -> None:
        levels = self.side(order.buys_yes)
        queue = levels.get(order.yes_price)
        if queue is None:
            return
        queue[:] = [o for o in queue if o.id != order.id]
        if not queue:
            del levels[order.yes_price]

    def best_bid(self) -> int | None:
        return max(self.bids) if self.bids else None

    def best_ask(self) -> int | None:
        return min(self.asks) if self.asks else None

    def level_size(self, buys_yes: bool, yes_price: int) -> int:
        return sum(o.remaining for o in self.side(buys_yes).get(yes_price, []))

    def crossing(self, buys_yes: bool, limit_yes: int) -> list[Order]:
        """Resting orders a taker could hit, in price-time priority."""
        if buys_yes:
            prices = sorted(p for p in self.asks if p <= limit_yes)
            return [o for p in prices for o in self.asks[p]]
        prices = sorted((p for p in self.bids if p >= limit_yes), reverse=True)
        return [o for p in prices for o in self.bids[p]]

    def levels(self, outcome_index: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """(bids, asks) as (price, size) in the token's own prices, best level last
        (bids ascending, asks descending), as the venue's captures order them."""
        yb = [(p, sum(o.remaining for o in q)) for p, q in self.bids.items()]
        ya = [(p, sum(o.remaining for o in q)) for p, q in self.asks.items()]
        if outcome_index == 0:
            bids, asks = yb, ya
        else:
            bids = [(ONE - p, s) for p, s in ya]
            asks = [(ONE - p, s) for p, s in yb]
        bids.sort()
        asks.sort(reverse=True)
        return bids, asks

    def orders(self) -> list[Order]:
        return [o for lv in (self.bids, self.asks) for q in lv.values() for o in q]
