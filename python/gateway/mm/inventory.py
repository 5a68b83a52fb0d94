"""YES/NO net-delta inventory: a YES share and a NO share of one market cancel out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from gateway.mm.types import ONE, ZERO, Inventory, Outcome, RestingOrder, Side


def net_delta(inv: Inventory) -> Decimal:
    """Exposure to YES in shares: YES held minus NO held (a locked pair counts zero)."""
    return inv.yes_qty - inv.no_qty


def pairs(inv: Inventory) -> Decimal:
    """Locked YES+NO pairs: they pay 1 each whatever the outcome."""
    return min(inv.yes_qty, inv.no_qty)


def avg_cost(inv: Inventory, outcome: Outcome) -> Decimal | None:
    qty, cost = (inv.yes_qty, inv.yes_cost) if outcome == "YES" else (inv.no_qty, inv.no_cost)
    return cost / qty if qty > 0 else None


@dataclass(frozen=True, slots=True)
class Unpaired:
    """The part of the position not locked in pairs: ``qty`` shares of ``outcome``."""

    outcome: Outcome
    qty: Decimal
    avg_price: Decimal


def unpaired(inv: Inventory) -> Unpaired | None:
    d = net_delta(inv)
    if d == 0:
        return None
    outcome: Outcome = "YES" if d > 0 else "NO"
    avg = avg_cost(inv, outcome)
    assert avg is not None
    return Unpaired(outcome, abs(d), avg)


def mark_value(inv: Inventory, yes_fair: Decimal) -> Decimal:
    """Value at fair: YES at p, NO at 1 - p."""
    return inv.yes_qty * yes_fair + inv.no_qty * (ONE - yes_fair)


def unrealized(inv: Inventory, yes_fair: Decimal) -> Decimal:
    return mark_value(inv, yes_fair) - inv.yes_cost - inv.no_cost


def worst_case_loss(
    inv: Inventory, open_buys: Iterable[tuple[Outcome, Decimal, Decimal]]
) -> Decimal:
    """The risk engine's binary exposure (docs/RISK.md): Y, N = shares held plus open buys,
    C = held cost plus open buys at their limit; worst case = max(0, C - min(Y, N))."""
    y, n, c = inv.yes_qty, inv.no_qty, inv.yes_cost + inv.no_cost
    for outcome, price, size in open_buys:
        if outcome == "YES":
            y += size
        else:
            n += size
        c += price * size
    return max(ZERO, c - min(y, n))


def apply_fill(
    inv: Inventory,
    *,
    outcome: Outcome, side: Side, qty: Decimal, price: Decimal, now_ns: int
) -> tuple[Inventory, Decimal]:
    """The inventory after a fill and the realized PnL of a sell (average-cost accounting)."""
    if qty <= 0:
        raise ValueError("fill quantity must be positive")
    held, cost = (inv.yes_qty, inv.yes_cost) if outcome == "YES" else (inv.no_qty, inv.no_cost)
    realized = ZERO
    if side == "BUY":
        held, cost = held + qty, cost + qty * price
    else:
        if qty > held:
            raise ValueError(f"sell of {qty} {outcome} exceeds the {held} held")
        avg = cost / held
        realized = (price - avg) * qty
        held, cost = held - qty, cost - avg * qty
        if held == 0:
            cost = ZERO
    was_flat = net_delta(inv) == 0
    out = (
        replace(inv, yes_qty=held, yes_cost=cost)
        if outcome == "YES"
        else replace(inv, no_qty=held, no_cost=cost)
    )
    if net_delta(out) == 0:
        out = replace(out, opened_ns=0)
    elif was_flat or (net_delta(out) > 0) != (net_delta(inv) > 0):
        out = replace(out, opened_ns=now_ns)
    return out, realized


def open_buys_of(
    resting: Iterable[RestingOrder], yes_token: str, no_token: str
) -> list[tuple[Outcome, Decimal, Decimal]]:
    out: list[tuple[Outcome, Decimal, Decimal]] = []
    for o in resting:
        if o.side != "BUY":
            continue
        if o.token_id == yes_token:
            out.append(("YES", o.price, o.size))
        elif o.token_id == no_token:
            out.append(("NO", o.price, o.size))
    return out
