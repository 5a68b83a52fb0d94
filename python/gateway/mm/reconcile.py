"""Queue-keeping reconciliation of desired vs resting orders, batching, post-only retries.

A resting order still within its desired order's price tolerance and size tolerance is left
alone (it keeps its queue position); only the difference is cancelled or placed. A resting order
that is short (partly filled) keeps its place and gets a top-up for the missing size when that
is at least the venue minimum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TypeVar

from gateway.mm.types import ONE, ZERO, DesiredOrder, RestingOrder

BATCH_MAX = 15  # Polymarket POST /orders accepts up to 15 orders
MAX_POST_ONLY_RETRIES = 3
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Plan:
    cancels: tuple[RestingOrder, ...]
    places: tuple[DesiredOrder, ...]
    kept: tuple[RestingOrder, ...]


def reconcile(
    desired: Sequence[DesiredOrder],
    resting: Sequence[RestingOrder],
    *,
    size_tol: Decimal,
    min_size: Mapping[str, Decimal] | None = None,
) -> Plan:
    """Desired orders are matched in their given order (tightest rungs first)."""
    free = list(resting)
    cancels: list[RestingOrder] = []
    places: list[DesiredOrder] = []
    kept: list[RestingOrder] = []
    for d in desired:
        if not d.post_only:
            places.append(d)  # a taker order is one-shot: never matched to a resting one
            continue
        best: RestingOrder | None = None
        for r in free:
            if r.token_id != d.token_id or r.side != d.side:
                continue
            if abs(r.price - d.price) > d.price_tol:
                continue
            if best is None or (abs(r.price - d.price), r.placed_ns) < (
                abs(best.price - d.price),
                best.placed_ns,
            ):
                best = r
        if best is None:
            places.append(d)
            continue
        free.remove(best)
        lo, hi = d.size * (ONE - size_tol), d.size * (ONE + size_tol)
        if best.size > hi:
            cancels.append(best)
            places.append(d)
            continue
        kept.append(best)
        if best.size < lo:
            missing = d.size - best.size
            floor = (min_size or {}).get(d.token_id, ZERO)
            if missing >= floor:
                places.append(replace(d, price=best.price, size=missing, reason="top_up"))
    cancels.extend(free)
    return Plan(tuple(cancels), tuple(places), tuple(kept))


def batches(items: Sequence[T], size: int = BATCH_MAX) -> list[list[T]]:
    if size <= 0:
        raise ValueError("batch size must be positive")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def is_post_only_reject(message: str) -> bool:
    """Venue texts: 'invalid post-only order: order crosses book', 'order X crosses the book'."""
    m = message.lower()
    return "crosses" in m and "book" in m


def post_only_retry(
    order: DesiredOrder, retries_done: int, tick: Decimal, max_retries: int = MAX_POST_ONLY_RETRIES
) -> DesiredOrder | None:
    """The next attempt after a post-only rejection of ``order`` (which was attempt number
    ``retries_done`` after the original): one tick further from the book, or None once
    ``max_retries`` retries are spent or the price would leave [tick, 1 - tick]."""
    if retries_done >= max_retries:
        return None
    price = order.price - tick if order.side == "BUY" else order.price + tick
    if price < tick or price > ONE - tick:
        return None
    return replace(order, price=price, reason=f"post_only_retry_{retries_done + 1}")
