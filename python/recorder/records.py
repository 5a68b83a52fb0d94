"""The rows the record (Postgres) keeps, as typed values every writer shares.

The recorder (following trader's journal) and the gateway (its Polymarket
books, orders and fills) both write through `recorder.store.Store` with
these records, so one schema and one set of idempotency rules hold for all
venues.  Money is Decimal, times are timezone-aware datetimes (UTC), and
every record names its venue and instrument.

Idempotency keys (a second write of the same key changes nothing):
- OrderRecord: (venue, order_key)  -- order_key is trader's reservation id
  as text, or for orders trader never saw, the venue's order id.
- OrderEventRecord: (venue, order_key, seq)  -- seq is the journal sequence
  number, or a per-source monotonic counter.
- FillRecord: (venue, trade_id)  -- the venue's trade id; unique per venue.
- BookSnapshot, PnlSnapshot, RiskEventRecord, AlertRecord: (source, seq).
- ResolutionRecord: (venue, instrument)  -- one resolution per outcome token, whoever
  (recorder or gateway) writes it first.

Times: `at` / `created_at` are wall-clock (UTC). A writer on a fast-forwarded venue clock
(the gateway on a simulator with timing.speed) puts the venue's time in `venue_at`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

Side = Literal["buy", "sell"]
Liquidity = Literal["maker", "taker", "unknown"]
OrderEventKind = Literal["accept", "ack", "reject", "fill", "cancel", "expire"]


@dataclass(frozen=True, slots=True)
class OrderRecord:
    venue: str
    instrument: str              # the venue's symbol / token id
    order_key: str
    side: Side
    price: Decimal
    quantity: Decimal
    client_order_id: str
    created_at: datetime
    venue_order_id: str = ""
    source: str = "trader"       # who placed it: "trader" (its strategy), "gateway", ...
    tif: str = "GTC"
    post_only: bool = False
    venue_at: datetime | None = None   # the venue's clock, when it is not the wall's


@dataclass(frozen=True, slots=True)
class OrderEventRecord:
    venue: str
    instrument: str
    order_key: str
    seq: int
    kind: OrderEventKind
    at: datetime
    venue_order_id: str = ""
    reason: str = ""
    quantity: Decimal = Decimal(0)   # fill events: the quantity this event booked (0 = none)
    venue_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FillRecord:
    venue: str
    instrument: str
    trade_id: str
    order_key: str
    side: Side
    price: Decimal
    quantity: Decimal
    fee: Decimal                 # in the quote currency; negative = rebate
    fee_ccy: str
    liquidity: Liquidity
    at: datetime
    venue_order_id: str = ""
    usd_rate: Decimal = Decimal(1)   # quote currency -> USD at the time of the fill
    venue_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PositionRecord:
    venue: str
    instrument: str
    quantity: Decimal
    avg_price: Decimal
    realized_pnl_usd: Decimal
    at: datetime


@dataclass(frozen=True, slots=True)
class BookLevel:
    price: Decimal
    size: Decimal


@dataclass(frozen=True, slots=True)
class BookSnapshot:
    venue: str
    instrument: str
    source: str
    seq: int
    at: datetime
    bids: tuple[BookLevel, ...] = field(default_factory=tuple)
    asks: tuple[BookLevel, ...] = field(default_factory=tuple)
    venue_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PnlSnapshot:
    source: str
    seq: int
    venue: str                   # "" = all venues
    realized_usd: Decimal
    unrealized_usd: Decimal
    fees_usd: Decimal
    exposure_usd: Decimal
    at: datetime


@dataclass(frozen=True, slots=True)
class RiskEventRecord:
    source: str
    seq: int
    scope: str                   # "global", "venue", "market"
    scope_name: str
    state: str                   # ACTIVE / REDUCING / HALTED, or the breach name
    reason: str
    text: str
    at: datetime
    venue: str = ""
    instrument: str = ""
    hold_state: str = ""           # STATE: the changed reason's hold (state = the scope's)


@dataclass(frozen=True, slots=True)
class RebateRecord:
    venue: str
    instrument: str
    source: str
    seq: int
    amount: Decimal              # positive = received
    ccy: str
    kind: Literal["rebate", "fee"]
    at: datetime
    venue_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AlertRecord:
    source: str
    seq: int
    kind: str
    severity: str
    text: str
    at: datetime
    venue: str = ""
    instrument: str = ""
    venue_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ResolutionRecord:
    """One outcome token of a binary market resolved: won (pays 1) or lost (pays 0)."""
    venue: str
    instrument: str
    won: bool
    at: datetime
    source: str
    seq: int
