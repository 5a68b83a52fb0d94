"""Seeded background flow: a house maker quoting a ladder around each market's fair
value and takers whose direction follows the fair value (informed) or is random
(noise), so a resting quote gets both fills and adverse selection."""

from __future__ import annotations

import math
import random

from eth_utils.crypto import keccak

from .book import Order
from .engine import Engine, Rejected
from .markets import Market, MarketState
from .units import ONE

HOUSE_MAKER = "house-maker"
HOUSE_TAKER = "house-taker"
HOUSE_MAKER_ADDRESS = "0x" + keccak(text=HOUSE_MAKER).hex()[-40:]
HOUSE_TAKER_ADDRESS = "0x" + keccak(text=HOUSE_TAKER).hex()[-40:]
LEVELS = 3
TAKER_RATE_PER_S = 0.08  # taker arrivals per sim second per market
INFORMED_SHARE = 0.5
REQUOTE_S = 30.0  # the house refreshes its ladder at least this often (sim seconds)


class Flow:
    def __init__(self, engine: Engine, seed: int) -> None:
        self.engine = engine
        self.rng = random.Random(seed ^ 0xF10)
        self.centre: dict[str, int] = {}  # market -> fair (micro) the ladder was built on
        self.quoted_at: dict[str, float] = {}
        self.last_s: float | None = None
        engine.house_addresses.update({HOUSE_MAKER_ADDRESS, HOUSE_TAKER_ADDRESS})

    def step(self, now: float) -> None:
        dt = 0.0 if self.last_s is None else max(now - self.last_s, 0.0)
        self.last_s = now
        for m in list(self.engine.catalogue.markets.values()):
            if m.state is not MarketState.OPEN:
                continue
            if not m.asset and dt > 0:  # long-horizon markets drift slowly
                m.fair = min(max(m.fair + self.rng.gauss(0.0, 0.0005 * math.sqrt(dt)), 0.03),
                             0.97)
            self._quote(m, now)
            n = self._poisson(TAKER_RATE_PER_S * dt)
            for _ in range(min(n, 20)):
                self._take(m, now)

    def _poisson(self, lam: float) -> int:
        if lam <= 0:
            return 0
        if lam > 30:
            return max(0, round(self.rng.gauss(lam, math.sqrt(lam))))
        k, p, limit = 0, 1.0, math.exp(-lam)
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1

    def _grid(self, m: Market) -> tuple[int, int]:
        tick = int(m.tick * ONE)
        step = max(tick, 10_000)
        return tick, step

    def _quote(self, m: Market, now: float) -> None:
        tick, step = self._grid(m)
        fair = int(m.fair * ONE)
        old = self.centre.get(m.condition_id)
        book = self.engine.book(m.condition_id)
        stale = now - self.quoted_at.get(m.condition_id, now) > REQUOTE_S
        one_sided = book.best_bid() is None or book.best_ask() is None
        if old is not None and abs(old - fair) < step and not stale and not one_sided:
            return
        self.centre[m.condition_id] = fair
        self.quoted_at[m.condition_id] = now
        e = self.engine
        e.cancel_where(HOUSE_MAKER, market=m.condition_id)
        for k in range(LEVELS):
            bid = (fair - step - k * step) // tick * tick
            ask = -(-(fair + step + k * step) // tick) * tick
            size = self.rng.randint(20, 200) * ONE
            for side, price in (("BUY", bid), ("SELL", ask)):
                if not tick <= price <= ONE - tick:
                    continue
                o = self._order(m, HOUSE_MAKER, HOUSE_MAKER_ADDRESS, side=side, price=price,
                                size=size, order_type="GTC", now=now)
                try:
                    e.place(o, post_only=True, now=now)
                except Rejected:
                    continue  # a user quote sits inside: the house does not cross it

    def _take(self, m: Market, now: float) -> None:
        book = self.engine.book(m.condition_id)
        bb, ba = book.best_bid(), book.best_ask()
        fair = int(m.fair * ONE)
        if self.rng.random() < INFORMED_SHARE:
            if ba is not None and fair > ba:
                side, price = "BUY", ba
            elif bb is not None and fair < bb:
                side, price = "SELL", bb
            else:
                return
        else:
            side = "BUY" if self.rng.random() < 0.5 else "SELL"
            best = ba if side == "BUY" else bb
            if best is None:
                return
            price = best
        size = self.rng.randint(5, 60) * ONE
        o = self._order(m, HOUSE_TAKER, HOUSE_TAKER_ADDRESS, side=side, price=price, size=size,
                        order_type="FAK", now=now)
        try:
            self.engine.place(o, post_only=False, now=now)
        except Rejected:
            return

    def _order(self, m: Market, owner: str, address: str, *, side: str, price: int,
               size: int, order_type: str, now: float) -> Order:
        e = self.engine
        seq = e.next_seq()
        oid = "0x" + keccak(text=f"{owner}|{m.condition_id}|{seq}").hex()
        return Order(id=oid, owner=owner, maker_address=address, market=m.condition_id,
                     token_id=m.token_ids[0], outcome_index=0, side=side, price=price,
                     size=size, order_type=order_type, expiration=0, created_at=now, seq=seq,
                     house=True, outcome=m.outcomes[0])
