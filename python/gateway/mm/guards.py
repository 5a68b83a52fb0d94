"""Guards: gapped market, micro-volatility halt, order-flow imbalance, stall panic, market end."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from gateway.mm.types import ZERO, Book, Trade

NS = 1_000_000_000


def gapped(book: Book, max_spread: Decimal) -> bool:
    """No quotes on a one-sided book or while the spread is wider than ``max_spread``."""
    spread = book.spread
    return spread is None or spread > max_spread


def stalled(last_data_ns: int, now_ns: int, stall_s: int) -> bool:
    """No market data for ``stall_s`` seconds: cancel everything (fail closed)."""
    return last_data_ns <= 0 or now_ns - last_data_ns >= stall_s * NS


def closing(end_ns: int, now_ns: int, stop_before_end_s: int) -> bool:
    return end_ns > 0 and end_ns - now_ns <= stop_before_end_s * NS


def micro_move(mids: Sequence[tuple[int, Decimal]], now_ns: int, window_s: int) -> Decimal:
    """Largest |mid - latest mid| over the last ``window_s`` seconds (mids oldest first)."""
    if not mids:
        return ZERO
    last = mids[-1][1]
    lo = now_ns - window_s * NS
    move = ZERO
    for ts, m in reversed(mids):
        if ts < lo:
            break
        move = max(move, abs(m - last))
    return move


@dataclass(frozen=True, slots=True)
class FlowPull:
    pull_bids: bool = False  # aggressive sellers: our bids are about to be run over
    pull_asks: bool = False
    imbalance: Decimal = ZERO


def flow_imbalance(
    trades: Sequence[Trade], now_ns: int, *, window_s: int, min_volume: Decimal, threshold: Decimal
) -> FlowPull:
    """Signed taker volume over the window, (buys - sells) / (buys + sells), on the YES token.
    Past +threshold the YES asks (our NO bids) are threatened; past -threshold the YES bids."""
    lo = now_ns - window_s * NS
    buys = sells = ZERO
    for t in trades:
        if t.ts_ns < lo or t.ts_ns > now_ns:
            continue
        if t.taker_side == "BUY":
            buys += t.size
        else:
            sells += t.size
    total = buys + sells
    if total < min_volume or total == 0:
        return FlowPull()
    imb = (buys - sells) / total
    return FlowPull(pull_bids=imb <= -threshold, pull_asks=imb >= threshold, imbalance=imb)
