"""Our orders and what happened to them: reservation, venue id, fills, trade status.

One `Tracked` per order the gateway asked `trader` about. Fills are keyed by a fill id
(`trade_id` for a taker fill, `trade_id:order_id` for a maker fill: one trade can fill
several of our maker orders), so a fill seen on the user channel and again in a REST
reconciliation is booked exactly once.

Trade status: MATCHED counts in our local inventory at once; the fill is reported to
`trader` when the trade is MINED or CONFIRMED (the chain has it); FAILED takes it back out
of the local inventory (and, since it was never reported, trader never saw it). A cancel is
reported only once every matched trade of the order is settled one way or the other, so
trader never sees a fill after it released the reservation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

Side = Literal["BUY", "SELL"]
OrderState = Literal["checking", "sending", "live", "done"]
ZERO = Decimal(0)


@dataclass(slots=True)
class Fill:
    fill_id: str
    trade_id: str
    order_id: str
    token: str
    side: Side
    price: Decimal
    qty: Decimal
    fee: Decimal
    liquidity: Literal["maker", "taker"]
    status: str                    # MATCHED / MINED / CONFIRMED / FAILED / ...
    ts_ns: int
    reported: bool = False


@dataclass(slots=True)
class Tracked:
    cid: str
    token: str
    market: str
    side: Side
    price: Decimal
    size: Decimal
    created_ns: int
    res: int = 0                   # trader reservation (0 = none)
    voi: str = ""                  # venue order id
    state: OrderState = "checking"
    matched: Decimal = ZERO        # sum of fills seen (MATCHED or later, not FAILED)
    cancel_wanted: bool = False
    venue_closed: bool = False     # the venue no longer has it (cancelled, filled, expired)
    close_reason: str = ""
    close_kind: Literal["cancel", "expire", "reject", "filled", ""] = ""
    released: bool = False         # the final report (cancel/reject) went to trader
    fills: dict[str, Fill] = field(default_factory=dict)
    post_only: bool = True
    order_type: str = "GTC"        # GTC, or FAK for a taker exit
    level: int = -1                # market maker ladder level (0 exit, 9 explore), -1 = none
    retries: int = 0               # post-only retries that led to this order

    @property
    def remaining(self) -> Decimal:
        return max(self.size - self.matched, ZERO)

    def unsettled(self) -> bool:
        """A matched fill not yet reported nor failed."""
        return any(not f.reported and f.status not in ("FAILED",) for f in self.fills.values())


class OrderBookOfOurs:
    """Indexes our orders by client id and venue id; keeps the inventory they produced."""

    def __init__(self) -> None:
        self.by_cid: dict[str, Tracked] = {}
        self.by_voi: dict[str, Tracked] = {}
        self.inventory: dict[str, Decimal] = {}     # token -> shares (MATCHED and later)
        self.fill_ids: set[str] = set()
        self.fills_total = 0
        self.volume = ZERO
        self.fees = ZERO
        self.maker_fee_equiv = ZERO                  # for the rebate estimate
        # called on every inventory change: (order, fill, +1 booked / -1 taken back)
        self.on_change: Callable[[Tracked, Fill, int], None] | None = None

    def add(self, o: Tracked) -> None:
        self.by_cid[o.cid] = o

    def set_voi(self, o: Tracked, voi: str) -> None:
        o.voi = voi
        self.by_voi[voi] = o

    def active(self) -> list[Tracked]:
        return [o for o in self.by_cid.values() if o.state != "done"]

    def resting(self, market: str | None = None) -> list[Tracked]:
        """Orders that count as resting for the strategy (including ones in flight)."""
        return [o for o in self.by_cid.values()
                if o.state in ("checking", "sending", "live") and not o.cancel_wanted
                and not o.venue_closed and (market is None or o.market == market)]

    def live_ids(self) -> list[str]:
        return [o.voi for o in self.by_cid.values()
                if o.voi and o.state == "live" and not o.venue_closed]

    def add_fill(self, o: Tracked, f: Fill) -> bool:
        """Record a fill (first sight). False when this fill id was seen before."""
        if f.fill_id in self.fill_ids:
            return False
        self.fill_ids.add(f.fill_id)
        o.fills[f.fill_id] = f
        if f.status != "FAILED":
            self._book(o, f, 1)
        return True

    def _book(self, o: Tracked, f: Fill, sign: int) -> None:
        signed = f.qty if f.side == "BUY" else -f.qty
        self.inventory[f.token] = self.inventory.get(f.token, ZERO) + sign * signed
        o.matched += sign * f.qty
        self.fills_total += sign
        self.volume += sign * f.qty * f.price
        self.fees += sign * f.fee
        if self.on_change is not None:
            self.on_change(o, f, sign)

    def fail_fill(self, o: Tracked, f: Fill) -> None:
        """A trade FAILED on chain: take it back out of the inventory."""
        if f.status != "FAILED":
            f.status = "FAILED"
            self._book(o, f, -1)

    def prune(self, keep: int = 5000) -> None:
        """Forget finished orders beyond the newest `keep` (memory bound)."""
        done = [o for o in self.by_cid.values() if o.state == "done"]
        if len(done) <= keep:
            return
        done.sort(key=lambda o: o.created_ns)
        for o in done[: len(done) - keep]:
            self.by_cid.pop(o.cid, None)
            if o.voi:
                self.by_voi.pop(o.voi, None)
