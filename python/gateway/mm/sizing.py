"""Order sizing: fixed, allocator, Kelly or half-Kelly, in whole shares >= orderMinSize."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from gateway.mm.types import ONE, ZERO


def kelly_fraction(belief: Decimal, price: Decimal) -> Decimal:
    """Kelly fraction of bankroll for buying a $1 binary at ``price`` believing P(win) =
    ``belief``: f* = (q - p) / (1 - p); 0 when there is no edge."""
    if not ZERO < price < ONE:
        raise ValueError("price must be inside (0, 1)")
    f = (belief - price) / (ONE - price)
    return max(ZERO, f)


def _whole(shares: Decimal) -> Decimal:
    return shares.to_integral_value(rounding=ROUND_FLOOR)


def size_for(
    mode: str,
    *,
    price: Decimal,
    belief: Decimal,
    min_size: Decimal,
    max_size: Decimal,
    fixed_size: Decimal = ZERO,
    alloc_usd: Decimal = ZERO,
    bankroll: Decimal = ZERO,
) -> Decimal:
    """Shares for one order; 0 means "do not quote" (Kelly sees no edge, or the allocation is
    below the venue minimum). Results are whole shares, at least ``min_size``, at most
    ``max_size``."""
    if mode == "fixed":
        raw = fixed_size if fixed_size > 0 else min_size
    elif mode == "allocator":
        raw = alloc_usd / price
    elif mode in ("kelly", "half_kelly"):
        f = kelly_fraction(belief, price)
        if mode == "half_kelly":
            f /= 2
        raw = f * bankroll / price
    else:
        raise ValueError(f"unknown sizing mode {mode!r}")
    shares = min(_whole(raw), _whole(max_size))
    if shares < min_size:
        # Fixed size never drops below the venue minimum; the others drop the quote.
        return min_size if mode == "fixed" else ZERO
    return shares
