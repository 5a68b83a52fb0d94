"""Small builders shared by the market-maker tests."""

from __future__ import annotations

from decimal import Decimal

from gateway.mm.types import Book, FeeSchedule, Level, MarketInfo

D = Decimal
NS = 1_000_000_000
T0 = 1_767_614_400 * NS  # 2026-01-05 12:00:00 UTC


def book(bids: list[tuple[str, str]], asks: list[tuple[str, str]], ts_ns: int = T0) -> Book:
    return Book(
        tuple(Level(D(p), D(s)) for p, s in bids),
        tuple(Level(D(p), D(s)) for p, s in asks),
        ts_ns,
    )


def info(
    *,
    tick: str = "0.01",
    fees: FeeSchedule | None = None,
    end_ns: int = 0,
    market_id: str = "0xm1",
) -> MarketInfo:
    return MarketInfo(
        market_id=market_id,
        yes_token=f"{market_id}-yes",
        no_token=f"{market_id}-no",
        tick=D(tick),
        min_size=D(5),
        fees=fees or FeeSchedule(),
        start_ns=T0,
        end_ns=end_ns,
    )
