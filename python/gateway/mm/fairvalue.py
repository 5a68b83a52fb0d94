"""Fair value: volume-weighted micro-price, the up/down probability from the reference spot,
and their blend."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from itertools import pairwise

from gateway.mm.types import ONE, ZERO, Book, Level

_PROB_Q = Decimal("0.000001")


def _side_vwap(levels: Sequence[Level], depth: int) -> tuple[Decimal, Decimal]:
    size = ZERO
    notional = ZERO
    for lv in levels[:depth]:
        size += lv.size
        notional += lv.price * lv.size
    if size <= 0:
        return ZERO, ZERO
    return notional / size, size


def micro_price(book: Book, depth: int = 1) -> Decimal | None:
    """Volume-weighted micro-price over the top ``depth`` levels per side:
    ``(Pb * Va + Pa * Vb) / (Va + Vb)`` with Pb, Pa the size-weighted average prices and Vb, Va
    the total sizes, so heavy bids pull the value towards the ask. None on a one-sided book."""
    pb, vb = _side_vwap(book.bids, depth)
    pa, va = _side_vwap(book.asks, depth)
    if vb <= 0 or va <= 0:
        return None
    return (pb * va + pa * vb) / (va + vb)


def yes_fair_from_books(yes: Book, no: Book | None, depth: int) -> Decimal | None:
    """YES micro-price; with the NO book as well, the mean of YES and 1 - NO."""
    m_yes = micro_price(yes, depth)
    m_no = micro_price(no, depth) if no is not None else None
    if m_yes is None:
        return None if m_no is None else ONE - m_no
    if m_no is None:
        return m_yes
    return (m_yes + (ONE - m_no)) / 2


def norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def updown_probability(
    spot: Decimal, strike: Decimal, seconds_left: Decimal, vol_per_sqrt_s: Decimal
) -> Decimal:
    """P(spot at expiry > strike) for a driftless log-normal spot:
    ``N(d2)``, ``d2 = (ln(S/K) - sigma^2 tau / 2) / (sigma sqrt(tau))`` with sigma per sqrt-second.
    At or after expiry the answer is 1, 0 or 1/2 (spot above, below or at the strike)."""
    if spot <= 0 or strike <= 0:
        raise ValueError("spot and strike must be positive")
    if seconds_left <= 0 or vol_per_sqrt_s <= 0:
        if spot == strike:
            return Decimal("0.5")
        return ONE if spot > strike else ZERO
    s = float(vol_per_sqrt_s) * math.sqrt(float(seconds_left))
    d2 = (math.log(float(spot) / float(strike)) - 0.5 * s * s) / s
    return Decimal(norm_cdf(d2)).quantize(_PROB_Q)


def realized_vol(samples: Sequence[tuple[int, Decimal]]) -> Decimal:
    """Per-sqrt-second volatility of log returns of (ts_ns, price) samples (oldest first):
    sqrt(sum(r_i^2) / sum(dt_i)), a zero-mean estimator fit for short horizons."""
    ss = 0.0
    dt = 0
    for (t0, p0), (t1, p1) in pairwise(samples):
        if t1 <= t0 or p0 <= 0 or p1 <= 0:
            continue
        r = math.log(float(p1) / float(p0))
        ss += r * r
        dt += t1 - t0
    if dt <= 0:
        return ZERO
    return Decimal(math.sqrt(ss / (dt / 1e9))).quantize(Decimal("1e-9"))


def diff_vol(samples: Sequence[tuple[int, Decimal]]) -> Decimal:
    """Per-sqrt-second volatility of price *differences* (for a probability mid):
    sqrt(sum(dp_i^2) / sum(dt_i))."""
    ss = ZERO
    dt = 0
    for (t0, p0), (t1, p1) in pairwise(samples):
        if t1 <= t0:
            continue
        ss += (p1 - p0) * (p1 - p0)
        dt += t1 - t0
    if dt <= 0:
        return ZERO
    return (ss / (Decimal(dt) / Decimal(1_000_000_000))).sqrt().quantize(Decimal("1e-9"))


def blend(micro: Decimal | None, model: Decimal | None, model_weight: Decimal) -> Decimal | None:
    """w x model + (1 - w) x micro; either alone when the other is missing."""
    if micro is None:
        return model
    if model is None:
        return micro
    return model_weight * model + (ONE - model_weight) * micro
