"""A local order book for one outcome token, fed by `book` snapshots and `price_change`s.

Sizes in a price_change are the level's size after the change ("0" removes the level).
The book keeps Decimals; best prices are recomputed lazily after a change.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

ZERO = Decimal(0)


def _levels(raw: Iterable[Any]) -> dict[Decimal, Decimal]:
    out: dict[Decimal, Decimal] = {}
    for lv in raw:
        if isinstance(lv, dict):
            px, sz = Decimal(str(lv["price"])), Decimal(str(lv["size"]))
            if sz > 0:
                out[px] = sz
    return out


class Book:
    __slots__ = ("_best", "asks", "asset_id", "bids", "last_update_ms", "market", "synced",
                 "tick")

    def __init__(self, asset_id: str, market: str, tick: Decimal) -> None:
        self.asset_id = asset_id
        self.market = market
        self.tick = tick
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.synced = False          # a snapshot has been applied since the last doubt
        self.last_update_ms = 0
        self._best: tuple[Decimal | None, Decimal | None] | None = None

    def snapshot(self, msg: dict[str, Any]) -> None:
        self.bids = _levels(msg.get("bids") or ())
        self.asks = _levels(msg.get("asks") or ())
        if msg.get("tick_size"):
            self.tick = Decimal(str(msg["tick_size"]))
        self.last_update_ms = int(msg.get("timestamp") or 0)
        self.synced = True
        self._best = None

    def apply(self, side: str, price: Decimal, size: Decimal) -> None:
        levels = self.bids if side == "BUY" else self.asks
        if size > 0:
            levels[price] = size
        else:
            levels.pop(price, None)
        self._best = None

    def best(self) -> tuple[Decimal | None, Decimal | None]:
        if self._best is None:
            self._best = (max(self.bids) if self.bids else None,
                          min(self.asks) if self.asks else None)
        return self._best

    def crossed(self) -> bool:
        bb, ba = self.best()
        return bb is not None and ba is not None and bb >= ba

    def size_at(self, side: str, price: Decimal) -> Decimal:
        return (self.bids if side == "BUY" else self.asks).get(price, ZERO)

    def mid(self) -> Decimal | None:
        bb, ba = self.best()
        if bb is None or ba is None:
            return None
        return (bb + ba) / 2

    def micro_price(self) -> Decimal | None:
        """Top-of-book size-weighted price: leans toward the side with less size."""
        bb, ba = self.best()
        if bb is None or ba is None:
            return None
        qb, qa = self.bids[bb], self.asks[ba]
        return (bb * qa + ba * qb) / (qa + qb)

    def top(self, n: int = 10) -> tuple[list[tuple[Decimal, Decimal]],
                                        list[tuple[Decimal, Decimal]]]:
        bids = sorted(self.bids.items(), reverse=True)[:n]
        asks = sorted(self.asks.items())[:n]
        return bids, asks
