"""Seeded synthetic 15-minute up-or-down markets for replays, tests and the demo.

A spot price per asset follows a driftless log-normal walk (1 s steps); each 15-minute market's
strike is the spot at its start and its true YES probability is N(d2) of spot vs strike with the
time left. The YES book sits around that probability with a random spread (1-3 ticks, a rare
gapped moment), five levels a side; takers arrive at random and now and then sweep several
levels. Events come out in time order: reference prices, then the trades of that second, then the
books, and a resolution event at each market's end.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from gateway.mm.fairvalue import norm_cdf
from gateway.mm.types import Book, FeeSchedule, Level, MarketInfo, RefPrice, Side, Trade

NS = 1_000_000_000
TICK = Decimal("0.01")
CRYPTO_FEES = FeeSchedule(Decimal("0.07"), 1, Decimal("0.2"))


@dataclass(frozen=True, slots=True)
class BookEvent:
    ts_ns: int
    market_id: str
    book: Book


@dataclass(frozen=True, slots=True)
class TradeEvent:
    ts_ns: int
    market_id: str
    trade: Trade


@dataclass(frozen=True, slots=True)
class RefEvent:
    ts_ns: int
    ref: RefPrice


@dataclass(frozen=True, slots=True)
class ResolveEvent:
    ts_ns: int
    market_id: str
    yes_wins: bool


Event = BookEvent | TradeEvent | RefEvent | ResolveEvent


@dataclass(frozen=True, slots=True)
class Asset:
    symbol: str
    spot: float
    vol_per_sqrt_s: float


ASSETS = (Asset("BTCUSDT", 100_000.0, 0.00012), Asset("ETHUSDT", 3_500.0, 0.00018))


@dataclass(frozen=True)
class Session:
    infos: list[MarketInfo]
    spots: dict[str, list[float]]  # per asset, one price per second
    vols: dict[str, float]
    seed: int
    t0_ns: int
    seconds: int

    def events(self) -> Iterator[Event]:
        return _events(self)


def session(seed: int, t0_ns: int, hours: float, assets: tuple[Asset, ...] = ASSETS) -> Session:
    """Back-to-back 15-minute markets per asset; the spot paths are drawn first so every
    market's strike (the spot at its start) is known up front."""
    rng = random.Random(seed)
    seconds = int(hours * 3600)
    spots: dict[str, list[float]] = {}
    for a in assets:
        path = [a.spot]
        for _ in range(seconds):
            z = rng.gauss(0, a.vol_per_sqrt_s)
            path.append(path[-1] * math.exp(z - a.vol_per_sqrt_s**2 / 2))
        spots[a.symbol] = path
    infos = []
    for k in range(seconds // 900):
        for a in assets:
            start = t0_ns + k * 900 * NS
            mid = f"{a.symbol[:3].lower()}-15m-{k:02d}"
            infos.append(
                MarketInfo(
                    mid, f"{mid}-yes", f"{mid}-no", TICK, Decimal(5), CRYPTO_FEES, start,
                    start + 900 * NS, a.symbol, _spot(spots[a.symbol][k * 900]),
                )
            )
    vols = {a.symbol: a.vol_per_sqrt_s for a in assets}
    return Session(infos, spots, vols, seed, t0_ns, seconds)


def _spot(x: float) -> Decimal:
    return Decimal(str(round(x, 2)))


def _q(p: float) -> Decimal:
    return Decimal(round(p, 2)).quantize(TICK)


def _book(rng: random.Random, p: float, ts: int) -> Book:
    spread_ticks = 10 if rng.random() < 0.005 else rng.choice((1, 2, 2, 3))
    center = min(0.95, max(0.05, p + rng.gauss(0, 0.004)))
    bid = min(max(round(center * 100 - spread_ticks / 2), 1), 98)
    ask = min(bid + spread_ticks, 99)
    bids = tuple(
        Level(_q((bid - i) / 100), Decimal(rng.randint(20, 400))) for i in range(5) if bid - i >= 1
    )
    asks = tuple(
        Level(_q((ask + i) / 100), Decimal(rng.randint(20, 400))) for i in range(5) if ask + i <= 99
    )
    return Book(bids, asks, ts)


def _events(ses: Session) -> Iterator[Event]:
    rng = random.Random(ses.seed + 1)
    books: dict[str, Book] = {}
    for sec in range(ses.seconds + 1):
        ts = ses.t0_ns + sec * NS
        for sym, path in ses.spots.items():
            yield RefEvent(ts, RefPrice(sym, _spot(path[sec]), ts))
        for info in ses.infos:
            sym = info.ref_symbol or ""
            spot = _spot(ses.spots[sym][sec])
            assert info.strike is not None
            if info.end_ns == ts:
                yield ResolveEvent(ts, info.market_id, spot > info.strike)
                continue
            if not info.start_ns <= ts < info.end_ns:
                continue
            prev = books.get(info.market_id)
            if prev is not None:
                yield from _trades(rng, info.market_id, prev, ts)
            s = ses.vols[sym] * math.sqrt((info.end_ns - ts) / NS)
            p = norm_cdf((math.log(float(spot) / float(info.strike)) - s * s / 2) / s)
            books[info.market_id] = _book(rng, p, ts)
            yield BookEvent(ts, info.market_id, books[info.market_id])


def _trades(rng: random.Random, market_id: str, book: Book, ts: int) -> Iterator[TradeEvent]:
    if rng.random() > 0.6:
        return
    taker_buy = rng.random() < 0.5
    levels = book.asks if taker_buy else book.bids
    if not levels:
        return
    side: Side = "BUY" if taker_buy else "SELL"
    if rng.random() < 0.06:  # a sweep through several levels
        for lv in levels[: rng.randint(2, 5)]:
            yield TradeEvent(ts, market_id, Trade(lv.price, lv.size, side, ts))
        return
    size = Decimal(max(1, int(rng.lognormvariate(3.0, 1.0))))
    yield TradeEvent(ts, market_id, Trade(levels[0].price, size, side, ts))
