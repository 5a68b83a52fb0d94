"""Taker fees, maker rebates and the fee-aware edge.

Polymarket's taker fee is ``shares x rate x (p(1-p))^exponent`` (makers pay 0), and the on-chain
``OrderFilled.fee`` is that figure floored to 1e-5 (research/polymarket.md §6, checked against the
fixture chain_order_filled_taker_fees.json). Maker rebates are paid out of taker fees, pro-rata to
filled maker liquidity; ``expected_rebate`` estimates our share as rebate_rate x the fee the taker
paid on the volume we filled.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from gateway.mm.types import ONE, ZERO, FeeSchedule, Side

FEE_QUANTUM = Decimal("0.00001")


def fee_per_share(price: Decimal, fees: FeeSchedule) -> Decimal:
    """Unrounded taker fee for one share at ``price``."""
    if fees.rate == 0:
        return ZERO
    base = price * (ONE - price)
    return fees.rate * base**fees.exponent


def taker_fee(shares: Decimal, price: Decimal, fees: FeeSchedule) -> Decimal:
    """What the venue charges a taker for ``shares`` at ``price`` (floored to 1e-5)."""
    return (shares * fee_per_share(price, fees)).quantize(FEE_QUANTUM, rounding=ROUND_FLOOR)


def expected_rebate(shares: Decimal, price: Decimal, fees: FeeSchedule) -> Decimal:
    """Our expected rebate for a maker fill: rebate_rate x the taker's fee on that volume."""
    return fees.rebate_rate * taker_fee(shares, price, fees)


def gross_edge(side: Side, price: Decimal, fair: Decimal) -> Decimal:
    """Per share, in the token's own price space: buying below fair or selling above it."""
    return fair - price if side == "BUY" else price - fair


def net_edge(
    side: Side,
    price: Decimal,
    fair: Decimal,
    fees: FeeSchedule,
    *,
    taker: bool,
    exit_fee_weight: Decimal = ZERO,
) -> Decimal:
    """Gross edge minus the expected taker fee per share: the full fee when we take, and
    ``exit_fee_weight`` of it for a maker fill (the chance its exit has to cross)."""
    fee = fee_per_share(price, fees)
    return gross_edge(side, price, fair) - (fee if taker else exit_fee_weight * fee)


def edge_ok(
    side: Side,
    price: Decimal,
    fair: Decimal,
    fees: FeeSchedule,
    min_edge: Decimal,
    *,
    taker: bool,
    exit_fee_weight: Decimal = ZERO,
) -> bool:
    return (
        net_edge(side, price, fair, fees, taker=taker, exit_fee_weight=exit_fee_weight)
        >= min_edge
    )
