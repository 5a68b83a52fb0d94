"""Avellaneda-Stoikov quotes, the 3-level ladder, pair cost and the exposure budget.

Prices here are in each token's own space (a YES bid at b is a NO ask at 1 - b). The A-S model
works in YES space: reservation r = s - q gamma sigma^2 tau, optimal total spread
delta = gamma sigma^2 tau + (2/gamma) ln(1 + gamma/kappa), with sigma per sqrt-second of the YES
mid, tau in seconds and q = net delta / inventory unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from gateway.mm.inventory import worst_case_loss
from gateway.mm.ticks import snap_bid
from gateway.mm.types import ONE, ZERO, Inventory, Outcome


def reservation_price(
    mid: Decimal, q: Decimal, gamma: Decimal, sigma: Decimal, tau_s: Decimal
) -> Decimal:
    return mid - q * gamma * sigma * sigma * tau_s


def optimal_spread(gamma: Decimal, sigma: Decimal, tau_s: Decimal, kappa: Decimal) -> Decimal:
    return gamma * sigma * sigma * tau_s + (2 / gamma) * (ONE + gamma / kappa).ln()


@dataclass(frozen=True, slots=True)
class Quote:
    reservation: Decimal
    half_spread: Decimal
    bid: Decimal  # YES space, unsnapped
    ask: Decimal


def as_quote(
    fair: Decimal,
    q: Decimal,
    *,
    gamma: Decimal,
    kappa: Decimal,
    sigma: Decimal,
    tau_s: Decimal,
    min_half_spread: Decimal,
    widen: Decimal = ONE,
) -> Quote:
    r = reservation_price(fair, q, gamma, sigma, tau_s)
    half = max(optimal_spread(gamma, sigma, tau_s, kappa) / 2, min_half_spread) * widen
    return Quote(r, half, r - half, r + half)


@dataclass(frozen=True, slots=True)
class Rung:
    level: int  # 1-based
    price: Decimal
    size: Decimal


def ladder(
    top: Decimal, *, tick: Decimal, step_ticks: int, base_size: Decimal, mults: Sequence[int],
    levels: int,
) -> list[Rung]:
    """Bid rungs from ``top`` (snapped down) downwards: L1 at base size, then ``step_ticks``
    ticks apart with sizes base x mults[i] (1x, 2x, 4x). Rungs that would fall below one tick
    are dropped rather than piled on the floor."""
    out: list[Rung] = []
    price = snap_bid(top, tick)
    if top < tick:
        return out
    for i in range(levels):
        p = price - i * step_ticks * tick
        if p < tick:
            break
        out.append(Rung(i + 1, p, base_size * mults[i]))
    return out


def pair_cap(complement_avg: Decimal | None, margin: Decimal) -> Decimal | None:
    """Highest bid that keeps (this bid + the held complement's average cost) <= 1 - margin."""
    if complement_avg is None:
        return None
    return ONE - complement_avg - margin


@dataclass(frozen=True, slots=True)
class Bid:
    outcome: Outcome
    level: int
    price: Decimal
    size: Decimal


def fit_budget(
    bids: Sequence[Bid], inv: Inventory, *, budget: Decimal, max_net: Decimal
) -> list[Bid]:
    """Keep bids in the given priority order while the market's worst-case loss (YES and NO
    netted, open buys at their limit, as trader counts it) stays <= ``budget`` and the net delta
    including the bids stays within +-``max_net``. A side stops at its first rung that does not
    fit, so deeper rungs never rest without the tighter ones."""
    kept: list[Bid] = []
    stopped: set[Outcome] = set()
    net_yes = inv.yes_qty - inv.no_qty
    for b in bids:
        if b.outcome in stopped:
            continue
        trial = [*kept, b]
        wc = worst_case_loss(inv, [(x.outcome, x.price, x.size) for x in trial])
        planned = sum((x.size for x in trial if x.outcome == b.outcome), ZERO)
        net_after = net_yes + planned if b.outcome == "YES" else -net_yes + planned
        if wc > budget or net_after > max_net:
            stopped.add(b.outcome)
            continue
        kept.append(b)
    return kept
