"""A seeded random-walk quote per contract, with seeded market flow that can hit resting orders."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from venuesim.ibkr.model import ContractSpec


@dataclass(frozen=True)
class Flow:
    """An outside trade: SELL hits the bid, BUY lifts the ask."""

    side: str
    price: Decimal
    size: Decimal


class Market:
    """Top of book of one contract. Prices are always on the contract's tick grid."""

    def __init__(self, spec: ContractSpec, rng: random.Random) -> None:
        self.spec = spec
        self._rng = rng
        tick = spec.min_tick
        self._tick = tick
        self.bid = (spec.start_price / tick).to_integral_value(ROUND_FLOOR) * tick
        self.ask = self.bid + tick * spec.spread_ticks
        lot = spec.suggested_size_increment if spec.contract.sec_type == "STK" else Decimal(
            100000)
        self._lot = lot
        self.bid_size = lot * rng.randint(1, 10)
        self.ask_size = lot * rng.randint(1, 10)
        self.last = self.ask
        self.last_size = lot
        self.volume = Decimal(0)
        self.close = self.bid

    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2

    def step(self) -> Flow | None:
        """Move the quote by at most one tick each side, then maybe print one flow trade."""
        move = self._rng.choice((-1, 0, 0, 1)) * self._tick
        if self.bid + move > self._tick * 10:
            self.bid += move
            self.ask = self.bid + self._tick * self.spec.spread_ticks
        self.bid_size = self._lot * self._rng.randint(1, 10)
        self.ask_size = self._lot * self._rng.randint(1, 10)
        if self._rng.random() >= 0.5:
            return None
        side = self._rng.choice(("BUY", "SELL"))
        if self.spec.contract.sec_type == "STK":
            size = Decimal(self._rng.choice((1, 5, 10, 50, 100)))
        else:
            size = Decimal(self._rng.choice((1000, 5000, 10000, 25000)))
        price = self.ask if side == "BUY" else self.bid
        self.last, self.last_size = price, size
        self.volume += size
        return Flow(side, price, size)

    def set_mid(self, mid: Decimal) -> None:
        """Operator control: move the quote so that it straddles `mid`."""
        half = self._tick * self.spec.spread_ticks / 2
        self.bid = ((mid - half) / self._tick).to_integral_value(ROUND_FLOOR) * self._tick
        self.ask = self.bid + self._tick * self.spec.spread_ticks
