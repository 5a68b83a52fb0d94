"""The strategy boundary and a minimal built-in quoter.

A strategy is a pure function of the state (books, markets, inventory, reference prices,
config, clock) to the set of orders that should rest: `desired_orders(state)`. The
execution layer (`gateway.execution`) owns every venue call and diffs that set against
what rests. The full market maker (`gateway.mm`, issue 12) replaces `MicroQuoter` through
the same protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Literal, Protocol

from gateway.book import Book
from gateway.config import QuoteConfig
from gateway.discovery import MarketInfo

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class DesiredOrder:
    market: str
    token: str
    side: Literal["BUY", "SELL"]
    price: Decimal
    size: Decimal


@dataclass(frozen=True, slots=True)
class StrategyState:
    now_s: float
    markets: Mapping[str, MarketInfo]              # condition id -> market (quoted ones)
    books: Mapping[str, Book]                      # token -> book
    inventory: Mapping[str, Decimal]               # token -> shares held
    config: QuoteConfig
    refprices: Mapping[str, Decimal] = field(default_factory=dict)


class Strategy(Protocol):
    def desired_orders(self, state: StrategyState) -> list[DesiredOrder]: ...


def snap_down(px: Decimal, tick: Decimal) -> Decimal:
    return (px / tick).to_integral_value(rounding=ROUND_FLOOR) * tick


def snap_up(px: Decimal, tick: Decimal) -> Decimal:
    return (px / tick).to_integral_value(rounding=ROUND_CEILING) * tick


class MicroQuoter:
    """Two-sided post-only quotes around the micro-price of outcome 0.

    The bid is a BUY of outcome 0; the offer is a SELL of outcome 0 when we hold enough of
    it, else a BUY of outcome 1 at 1 - offer (the same economic quote, needing no shares).
    No quotes when the spread is wider than `max_spread` (a gapped market); a side is
    dropped once the net YES-minus-NO inventory reaches `max_inventory` that way.
    """

    def desired_orders(self, state: StrategyState) -> list[DesiredOrder]:
        cfg = state.config
        if not cfg.enabled:
            return []
        out: list[DesiredOrder] = []
        for m in state.markets.values():
            out.extend(self._market(m, state, cfg))
        return out

    def _market(self, m: MarketInfo, state: StrategyState, cfg: QuoteConfig
                ) -> list[DesiredOrder]:
        yes, no = m.tokens
        book = state.books.get(yes)
        if book is None or not book.synced or not m.accepting:
            return []
        bb, ba = book.best()
        micro = book.micro_price()
        if bb is None or ba is None or micro is None or ba - bb > cfg.max_spread:
            return []
        tick = book.tick
        half = tick * cfg.half_spread_ticks
        bid = min(snap_down(micro - half, tick), ba - tick)
        ask = max(snap_up(micro + half, tick), bb + tick)
        size = max(cfg.size, m.min_size)
        net = state.inventory.get(yes, ZERO) - state.inventory.get(no, ZERO)
        out: list[DesiredOrder] = []
        if tick <= bid <= 1 - tick and net < cfg.max_inventory:
            out.append(DesiredOrder(m.condition_id, yes, "BUY", bid, size))
        if tick <= ask <= 1 - tick and net > -cfg.max_inventory:
            held = state.inventory.get(yes, ZERO)
            if held >= size:
                out.append(DesiredOrder(m.condition_id, yes, "SELL", ask, size))
            else:
                out.append(DesiredOrder(m.condition_id, no, "BUY", 1 - ask, size))
        return out
