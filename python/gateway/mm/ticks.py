"""Tick-size conformance: snap a price to the market's own tick, inside [tick, 1 - tick]."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Literal

# Polymarket ticks: the classic four and the V2 half/quarter ticks.
VALID_TICKS = frozenset(Decimal(t) for t in ("0.1", "0.01", "0.001", "0.0001", "0.005", "0.0025"))

Rounding = Literal["down", "up", "nearest"]
_MODES = {"down": ROUND_FLOOR, "up": ROUND_CEILING, "nearest": ROUND_HALF_EVEN}


def check_tick(tick: Decimal) -> Decimal:
    if tick not in VALID_TICKS:
        raise ValueError(f"unsupported tick size {tick}")
    return tick


def snap(price: Decimal, tick: Decimal, rounding: Rounding) -> Decimal:
    """``price`` on the tick grid, rounded as asked (bids go down, asks go up: never more
    aggressive than computed), then clamped into [tick, 1 - tick]."""
    check_tick(tick)
    steps = (price / tick).to_integral_value(rounding=_MODES[rounding])
    snapped = steps * tick
    lo, hi = tick, 1 - tick
    if snapped < lo:
        snapped = lo
    elif snapped > hi:
        snapped = hi
    # Normalize the exponent so equal prices compare and print alike (0.50 vs 0.5000).
    return snapped.quantize(tick)


def snap_bid(price: Decimal, tick: Decimal) -> Decimal:
    return snap(price, tick, "down")


def snap_ask(price: Decimal, tick: Decimal) -> Decimal:
    return snap(price, tick, "up")


def on_grid(price: Decimal, tick: Decimal) -> bool:
    return tick <= price <= 1 - tick and (price / tick) == (price / tick).to_integral_value()
