"""Exploration mode: YES and NO bids at fixed price levels to learn where fills happen."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from gateway.mm.ticks import snap_bid
from gateway.mm.types import Book, DesiredOrder, MarketInfo, Outcome

EXPLORATION_LEVEL = 9


def exploration_orders(
    info: MarketInfo,
    yes_book: Book,
    no_book: Book | None,
    prices: Sequence[Decimal],
    size: Decimal,
    *,
    price_tol: Decimal = Decimal(0),
) -> list[DesiredOrder]:
    """One BUY per (outcome, price level), snapped to the tick; a level at or through the best
    ask of its token (which would cross and be rejected post-only) is skipped. The NO book is
    the YES book mirrored when not given."""
    out: list[DesiredOrder] = []
    yes_ask = yes_book.best_ask
    no_ask = no_book.best_ask if no_book is not None else None
    if no_ask is None and yes_book.best_bid is not None:
        no_ask = 1 - yes_book.best_bid
    sides: tuple[tuple[Outcome, str, Decimal | None], ...] = (
        ("YES", info.yes_token, yes_ask),
        ("NO", info.no_token, no_ask),
    )
    for outcome, token, best_ask in sides:
        for p in prices:
            price = snap_bid(p, info.tick)
            if best_ask is not None and price >= best_ask:
                continue
            out.append(
                DesiredOrder(
                    info.market_id, token, outcome, "BUY", price, max(size, info.min_size),
                    level=EXPLORATION_LEVEL, price_tol=price_tol, reason=f"explore@{price}",
                )
            )
    return out
