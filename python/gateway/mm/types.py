"""State in, orders out: the data types of the market maker (all immutable)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from gateway.mm.config import MMConfig

Side = Literal["BUY", "SELL"]
Outcome = Literal["YES", "NO"]
ZERO = Decimal(0)
ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class Level:
    price: Decimal
    size: Decimal


@dataclass(frozen=True, slots=True)
class Book:
    """One token's book: bids best (highest) first, asks best (lowest) first."""

    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    ts_ns: int = 0

    @property
    def best_bid(self) -> Decimal | None:
        return self.bids[0].price if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        return self.asks[0].price if self.asks else None

    @property
    def mid(self) -> Decimal | None:
        if not self.bids or not self.asks:
            return None
        return (self.bids[0].price + self.asks[0].price) / 2

    @property
    def spread(self) -> Decimal | None:
        if not self.bids or not self.asks:
            return None
        return self.asks[0].price - self.bids[0].price


@dataclass(frozen=True, slots=True)
class Trade:
    """A public trade on the YES token; ``taker_side`` is the aggressor's side."""

    price: Decimal
    size: Decimal
    taker_side: Side
    ts_ns: int


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """Gamma ``feeSchedule``: taker fee = shares x rate x (p(1-p))^exponent; makers pay 0."""

    rate: Decimal = ZERO
    exponent: int = 1
    rebate_rate: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class MarketInfo:
    """Static facts of one binary market (from Gamma / the CLOB market endpoint)."""

    market_id: str  # condition id
    yes_token: str
    no_token: str
    tick: Decimal  # orderPriceMinTickSize
    min_size: Decimal  # orderMinSize (shares)
    fees: FeeSchedule = field(default_factory=FeeSchedule)
    start_ns: int = 0
    end_ns: int = 0  # 0 = no known end
    # Crypto up-or-down markets: the reference symbol streamed by trader and the strike
    # ("price to beat"); None for other markets.
    ref_symbol: str | None = None
    strike: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Inventory:
    """Held shares and their cost (quote currency) per outcome, and when the position opened."""

    yes_qty: Decimal = ZERO
    yes_cost: Decimal = ZERO
    no_qty: Decimal = ZERO
    no_cost: Decimal = ZERO
    opened_ns: int = 0  # when the unpaired position last went from flat to non-flat


@dataclass(frozen=True, slots=True)
class RestingOrder:
    """An order live at the venue (as the execution layer knows it)."""

    order_id: str
    token_id: str
    side: Side
    price: Decimal
    size: Decimal  # remaining size
    placed_ns: int = 0


@dataclass(frozen=True, slots=True)
class DesiredOrder:
    """An order that should rest (post_only) or be sent now as a taker (post_only False).

    level: 1..3 ladder level, 0 = exit, 9 = exploration. price_tol: a resting order of the same
    token and side within this distance is kept (queue priority) instead of being replaced.
    """

    market_id: str
    token_id: str
    outcome: Outcome
    side: Side
    price: Decimal
    size: Decimal
    level: int
    post_only: bool = True
    price_tol: Decimal = ZERO
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RefPrice:
    """A reference spot price from trader (Binance mid)."""

    symbol: str
    price: Decimal
    ts_ns: int


@dataclass(frozen=True, slots=True)
class MarketState:
    """Everything the strategy needs about one market at one instant."""

    info: MarketInfo
    yes_book: Book
    no_book: Book | None = None
    trades: tuple[Trade, ...] = ()  # recent public trades (any window; the strategy filters)
    inventory: Inventory = field(default_factory=Inventory)
    resting: tuple[RestingOrder, ...] = ()
    last_data_ns: int = 0  # last market-data message of this market
    position_stop: bool = False  # trader says: per-position loss stop hit, exit
    reduce_only: bool = False  # trader says: market is reduce-only


@dataclass(frozen=True, slots=True)
class StrategyState:
    now_ns: int
    markets: tuple[MarketState, ...]
    refs: tuple[RefPrice, ...] = ()
    bankroll: Decimal = ZERO  # for allocator / Kelly sizing
    config: MMConfig | None = None  # None: the MarketMaker's own config
