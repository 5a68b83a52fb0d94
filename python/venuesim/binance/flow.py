"""Seeded background market: a random-walk fair value per symbol, a ladder of resting orders
around it that follows the walk, and Poisson taker flow leaning toward fair value. All of it
goes through the same matching engine as client orders, so a resting client order is filled by
this flow exactly as the venue's other participants would fill it (price-time priority)."""

from __future__ import annotations

import asyncio
import math
import random
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from .book import Order
from .engine import Engine, OrderRequest
from .symbols import SYMBOLS, SymbolSpec

LEVELS = 20
SIGMA_PER_SQRT_S = 0.0002  # 2 bps per sqrt(simulated second)
TAKERS_PER_S = 1.5
TICK_S = 0.25


def snap(value: float, step: Decimal, rounding: str) -> Decimal:
    return (Decimal(repr(value)) / step).quantize(Decimal(1), rounding=rounding) * step


class Flow:
    def __init__(self, engine: Engine, rng: random.Random, speed: float) -> None:
        self.engine = engine
        self.rng = rng
        self.speed = speed
        self.enabled = True
        self.fair = {name: float(spec.start_price) for name, spec in SYMBOLS.items()}
        self.resting: dict[str, dict[tuple[str, Decimal], Order]] = {n: {} for n in SYMBOLS}
        self.taker_orders = 0
        self.grid = {name: snap(float(spec.start_price) * 0.00002, spec.tick, ROUND_CEILING)
                     for name, spec in SYMBOLS.items()}

    def fair_value(self, symbol: str) -> float:
        return self.fair[symbol]

    def _ladder(self, spec: SymbolSpec) -> set[tuple[str, Decimal]]:
        """Levels on a fixed grid of `step`, so a small move of fair value shifts the ladder
        by whole levels instead of repricing every order."""
        step = self.grid[spec.symbol]
        fv = Decimal(repr(self.fair[spec.symbol]))
        anchor = (fv / step).quantize(Decimal(1), rounding=ROUND_FLOOR) * step
        wanted: set[tuple[str, Decimal]] = set()
        for k in range(LEVELS):
            bid = anchor - step * k
            if bid > 0:
                wanted.add(("BUY", bid))
            wanted.add(("SELL", anchor + step * (k + 1)))
        return wanted

    def requote(self, spec: SymbolSpec) -> None:
        resting = self.resting[spec.symbol]
        for key, order in list(resting.items()):
            if not order.is_open:
                del resting[key]
        wanted = self._ladder(spec)
        for key in [k for k in resting if k not in wanted]:
            order = resting.pop(key)
            self.engine.cancel(None, order, self.engine.new_client_id())
        # Place nearest-to-fair first so a crossing order meets the client's level first.
        fv = Decimal(repr(self.fair[spec.symbol]))
        for side, price in sorted(wanted - resting.keys(), key=lambda k: abs(k[1] - fv)):
            qty = (spec.typical_qty * Decimal(repr(self.rng.uniform(0.5, 1.5)))
                   ).quantize(spec.step, rounding=ROUND_FLOOR)
            qty = max(qty, spec.min_qty)
            order, _fills = self.engine.submit(None, OrderRequest(
                spec.symbol, side, "LIMIT", "GTC", price, qty, Decimal(0),
                self.engine.new_client_id()))
            if order.is_open:
                resting[(side, price)] = order

    def takers(self, spec: SymbolSpec, dt: float) -> None:
        count = self._poisson(TAKERS_PER_S * dt)
        bid, _bq, ask, _aq = self.engine.top(spec.symbol)
        for _ in range(count):
            lean = 0.0
            if bid is not None and ask is not None:
                mid = float(bid + ask) / 2
                lean = max(-0.3, min(0.3, (self.fair[spec.symbol] - mid) / (mid * 0.0005)))
            side = "BUY" if self.rng.random() < 0.5 + lean else "SELL"
            qty = (spec.typical_qty * Decimal(repr(self.rng.expovariate(1.0)))
                   ).quantize(spec.step, rounding=ROUND_FLOOR)
            qty = max(qty, spec.min_qty)
            self.engine.submit(None, OrderRequest(spec.symbol, side, "MARKET", "GTC",
                                                  Decimal(0), qty, Decimal(0),
                                                  self.engine.new_client_id()))
            self.taker_orders += 1

    def _poisson(self, lam: float) -> int:
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1

    def step(self, dt: float) -> None:
        for name, spec in SYMBOLS.items():
            shock = self.rng.gauss(0.0, 1.0) * SIGMA_PER_SQRT_S * math.sqrt(dt)
            self.fair[name] *= math.exp(shock)
            self.requote(spec)
            self.takers(spec, dt)

    def seed_books(self) -> None:
        for spec in SYMBOLS.values():
            self.requote(spec)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            if self.enabled:
                self.step(TICK_S * self.speed)
