"""Property tests of the C risk engine through its cffi binding.

Random sequences of checks, fills, cancels, rejects and mark moves must never
let an order push an exposure past a limit (global exposure, worst case per
market, concurrent positions, order notional), and an independent Python model
of the worst-case rules (Decimal, written from docs/RISK.md) must agree with
the C engine's usage figures to the last 1e-8 USD after every step.

The linear instrument (BTCUSDT) trades both ways: sells may open shorts and
fills may go through zero.  A held short counts at the higher of its proceeds
and its value at the mark, so a mark moving up can lift a short's exposure
over a bound on its own (the daily-loss and stop rules own that case); the
property then is that no order which adds exposure passes while it is over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

from hypothesis import HealthCheck, event, given, settings, target
from hypothesis import strategies as st

from trader.risk import Code, RiskEngine, Scope, Side

E8 = Decimal("1e-8")
MAX_ORDER = Decimal(10)
MAX_POSITION = Decimal(10)
MAX_EXPOSURE = Decimal(15)
MAX_POSITIONS = 2


@dataclass
class Leg:
    qty: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    buy_qty: Decimal = Decimal(0)
    buy_notional: Decimal = Decimal(0)
    sell_qty: Decimal = Decimal(0)
    sell_notional: Decimal = Decimal(0)


@dataclass
class Res:
    inst: int
    side: Side
    price: Decimal
    qty_left: Decimal
    notional_left: Decimal


@dataclass
class Model:
    """Worst-case exposure as docs/RISK.md defines it (binary longs, linear both ways)."""

    binary: dict[int, bool]
    market_of: dict[int, int]
    legs: dict[int, Leg] = field(default_factory=dict)
    res: dict[int, Res] = field(default_factory=dict)
    marks: dict[int, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.legs = {i: Leg() for i in self.market_of}

    def instruments(self, market: int) -> list[int]:
        return [i for i, m in self.market_of.items() if m == market]

    def markets(self) -> list[int]:
        return sorted(set(self.market_of.values()))

    def exposure(
        self, market: int, extra: tuple[int, Side, Decimal, Decimal] | None = None
    ) -> Decimal:
        legs = {i: Leg(**vars(self.legs[i])) for i in self.instruments(market)}
        if extra is not None:
            inst, side, price, qty = extra
            if side == Side.BUY:
                legs[inst].buy_qty += qty
                legs[inst].buy_notional += price * qty
            else:
                legs[inst].sell_qty += qty
                legs[inst].sell_notional += price * qty
        first = next(iter(legs))
        if self.binary[first]:
            money = sum(
                (max(leg.cost, Decimal(0)) + leg.buy_notional for leg in legs.values()), Decimal(0)
            )
            shares = [max(leg.qty, Decimal(0)) + leg.buy_qty for leg in legs.values()]
            pair = min(shares) if len(shares) == 2 else Decimal(0)
            return max(Decimal(0), money - pair)
        return linear_exposure(legs[first], self.marks.get(first))

    def is_open(self, market: int) -> bool:
        held = any(self.legs[i].qty != 0 for i in self.instruments(market))
        return held or any(self.market_of[r.inst] == market for r in self.res.values())

    def total(self) -> Decimal:
        return sum((self.exposure(m) for m in self.markets()), Decimal(0))

    def positions(self) -> int:
        return sum(1 for m in self.markets() if self.is_open(m))

    def expected(self, inst: int, side: Side, price: Decimal, qty: Decimal) -> Code:
        """The first exposure limit the order breaches, in the engine's order."""
        market = self.market_of[inst]
        if price * qty > MAX_ORDER:
            return Code.MAX_ORDER_NOTIONAL
        old = self.exposure(market)
        new = self.exposure(market, (inst, side, price, qty))
        if new > old:
            if new > MAX_POSITION:
                return Code.MAX_POSITION
            if self.total() + new - old > MAX_EXPOSURE:
                return Code.MAX_EXPOSURE
        if not self.is_open(market) and self.positions() + 1 > MAX_POSITIONS:
            return Code.MAX_POSITIONS
        return Code.OK

    def reserve(self, rid: int, inst: int, side: Side, price: Decimal, qty: Decimal) -> None:
        self.res[rid] = Res(inst, side, price, qty, price * qty)
        leg = self.legs[inst]
        if side == Side.BUY:
            leg.buy_qty += qty
            leg.buy_notional += price * qty
        else:
            leg.sell_qty += qty
            leg.sell_notional += price * qty

    def release(self, rid: int, qty: Decimal) -> None:
        r = self.res[rid]
        if qty == r.qty_left:
            part = r.notional_left
        else:
            part = (r.notional_left * qty / r.qty_left).quantize(E8, rounding=ROUND_FLOOR)
        leg = self.legs[r.inst]
        if r.side == Side.BUY:
            leg.buy_qty -= qty
            leg.buy_notional -= part
        else:
            leg.sell_qty -= qty
            leg.sell_notional -= part
        r.qty_left -= qty
        r.notional_left -= part
        if r.qty_left == 0:
            del self.res[rid]

    def fill(self, rid: int, qty: Decimal, price: Decimal) -> None:
        r = self.res[rid]
        leg = self.legs[r.inst]
        sign = 1 if r.side == Side.BUY else -1
        notional = price * qty
        if leg.qty == 0 or (leg.qty > 0) == (sign > 0):
            leg.qty += sign * qty
            leg.cost += sign * notional
        else:  # closes (part of) the position, and may go through zero
            held = abs(leg.qty)
            close = min(qty, held)
            part = leg.cost if close == held else _half_even(leg.cost * close / held)
            close_notional = notional if close == qty else _half_even(notional * close / qty)
            leg.cost -= part
            leg.qty += sign * close
            if qty > close:
                leg.qty += sign * (qty - close)
                leg.cost += sign * (notional - close_notional)
        if leg.qty == 0:
            leg.cost = Decimal(0)
        self.release(rid, qty)


def _half_even(v: Decimal) -> Decimal:
    return v.quantize(E8, rounding=ROUND_HALF_EVEN)


def _ceil(v: Decimal) -> Decimal:
    return v.quantize(E8, rounding=ROUND_CEILING)


def linear_exposure(leg: Leg, mark: Decimal | None) -> Decimal:
    """docs/RISK.md, linear market: the larger of the long and the short worst case."""
    if leg.qty >= 0:
        long_side = max(leg.cost, Decimal(0)) + leg.buy_notional
        short_side = (
            _ceil(leg.sell_notional * (leg.sell_qty - leg.qty) / leg.sell_qty)
            if leg.sell_qty > leg.qty
            else Decimal(0)
        )
    else:
        held = max(-leg.cost, Decimal(0))
        if mark is not None:
            held = max(held, _ceil(mark * -leg.qty))
        short_side = held + leg.sell_notional
        long_side = (
            _ceil(leg.buy_notional * (leg.buy_qty + leg.qty) / leg.buy_qty)
            if leg.buy_qty > -leg.qty
            else Decimal(0)
        )
    return max(long_side, short_side)


# ---- operations ----

check_op = st.tuples(
    st.just("check"),
    st.integers(0, 6),  # instrument index: 6 binary outcomes, then BTCUSDT
    st.sampled_from([Side.BUY, Side.BUY, Side.SELL]),
    st.integers(1, 99),  # price: cents for binaries, 100 + (n - 50) for BTC
    st.integers(1, 20),  # qty: shares for binaries, n * 0.003 BTC
)
fill_op = st.tuples(st.just("fill"), st.integers(0, 50), st.integers(1, 4), st.integers(0, 3))
cancel_op = st.tuples(st.just("cancel"), st.integers(0, 50))
reject_op = st.tuples(st.just("reject"), st.integers(0, 50))
mark_op = st.tuples(st.just("mark"), st.integers(0, 6), st.integers(1, 99))
ops = st.lists(
    st.one_of(check_op, check_op, check_op, fill_op, cancel_op, reject_op, mark_op),
    min_size=10,
    max_size=60,
)

# Only BTCUSDT, buys and sells alike: shorts, covers and flips through zero.
linear_check_op = st.tuples(
    st.just("check"), st.just(6), st.sampled_from([Side.BUY, Side.SELL]), st.integers(1, 99),
    st.integers(1, 20),
)
linear_ops = st.lists(
    st.one_of(linear_check_op, linear_check_op, fill_op, fill_op, cancel_op,
              st.tuples(st.just("mark"), st.just(6), st.integers(1, 99))),
    min_size=10,
    max_size=60,
)


class Harness:
    def __init__(self, engine: RiskEngine, env: Any) -> None:
        self.e = engine
        self.now = env.t0
        self.ids: list[int] = []
        for k in range(3):
            for outcome in ("yes", "no"):
                self.ids.append(
                    engine.add_instrument(env.binary_spec(f"{k}{outcome}", f"0xm{k}")).id
                )
        self.ids.append(engine.add_instrument(env.btc_spec).id)
        self.btc = self.ids[6]
        binary = {i: i != self.btc for i in self.ids}
        self.model = Model(
            binary=binary, market_of={i: engine.instrument(i).market for i in self.ids}
        )
        self.trade = 0
        self.accepted = 0
        self.max_positions = 0
        self.shorts = 0  # steps that ended with a short held
        for i in self.ids:
            engine.mark(i, self.price(i, 50), self.now)
            self.model.marks[i] = self.price(i, 50)

    def price(self, inst: int, n: int) -> Decimal:
        return Decimal(100 + n - 50) if inst == self.btc else Decimal(n) / 100

    def qty(self, inst: int, n: int) -> Decimal:
        return Decimal(n) * Decimal("0.003") if inst == self.btc else Decimal(n)

    def lot(self, inst: int) -> Decimal:
        return Decimal("0.001") if inst == self.btc else Decimal(1)

    def step(self, op: tuple[Any, ...]) -> None:
        kind = op[0]
        self.now += 1_000_000
        if kind == "check":
            self.check(
                self.ids[op[1]],
                op[2],
                self.price(self.ids[op[1]], op[3]),
                self.qty(self.ids[op[1]], op[4]),
            )
        elif kind == "mark":
            inst = self.ids[op[1]]
            self.e.mark(inst, self.price(inst, op[2]), self.now)
            self.model.marks[inst] = self.price(inst, op[2])
        elif self.model.res:
            rid = sorted(self.model.res)[op[1] % len(self.model.res)]
            if kind == "fill":
                self.fill(rid, op[2], op[3])
            elif kind == "cancel":
                self.e.on_cancel(rid, self.now)
                self.model.release(rid, self.model.res[rid].qty_left)
            else:
                self.e.on_reject(rid, self.now)
                self.model.release(rid, self.model.res[rid].qty_left)
        self.verify()

    def check(self, inst: int, side: Side, price: Decimal, qty: Decimal) -> None:
        if side == Side.SELL and inst != self.btc:
            leg = self.model.legs[inst]
            room = leg.qty - leg.sell_qty  # binary outcomes cannot be sold short
            qty = min(qty, room)
            if qty <= 0:
                return
        market = self.model.market_of[inst]
        before = self.model.exposure(market)
        want = self.model.expected(inst, side, price, qty)
        got = self.e.check(inst, side, price, qty, self.now)
        assert got.code == want, (got, want)
        if got.accepted:
            self.accepted += 1
            assert price * qty <= MAX_ORDER
            self.model.reserve(got.res_id, inst, side, price, qty)
            after = self.model.exposure(market)
            # an accepted order never lifts a market, or the total, over its bound
            assert after <= MAX_POSITION or after <= before, (before, after)
            assert self.model.total() <= MAX_EXPOSURE or after <= before
        else:
            assert got.reason.startswith(got.code.name + ": "), got.reason

    def fill(self, rid: int, quarter: int, improve: int) -> None:
        r = self.model.res[rid]
        lot = self.lot(r.inst)
        qty = max(lot, (r.qty_left * quarter / 4 / lot).to_integral_value(ROUND_FLOOR) * lot)
        qty = min(qty, r.qty_left)
        tick = Decimal(1) if r.inst == self.btc else Decimal("0.01")
        # fills at the limit or better
        price = r.price - improve * tick if r.side == Side.BUY else r.price + improve * tick
        if price <= 0 or (r.inst != self.btc and price >= 1):
            price = r.price
        self.trade += 1
        assert self.e.on_fill(
            rid, r.inst, r.side, trade_id=f"t{self.trade}", qty=qty, price=price, now_ns=self.now
        )
        self.model.fill(rid, qty, price)

    def verify(self) -> None:
        total = Decimal(0)
        short = self.model.legs[self.btc].qty < 0
        if short:
            self.shorts += 1
        for m in self.model.markets():
            u = self.e.usage(Code.MAX_POSITION, Scope.MARKET, m, self.now)
            assert u.bound == MAX_POSITION
            assert isinstance(u.value, Decimal)
            assert u.value == self.model.exposure(m), (m, u.value, self.model.exposure(m))
            # over a bound only by the mark (or a fill better than the mark) of a held short
            assert u.value <= MAX_POSITION or (short and m == self.model.market_of[self.btc])
            total += u.value
        g = self.e.usage(Code.MAX_EXPOSURE, Scope.GLOBAL, 0, self.now)
        assert g.value == total == self.model.total()
        assert isinstance(g.value, Decimal)
        assert g.value <= MAX_EXPOSURE or short
        p = self.e.usage(Code.MAX_POSITIONS, Scope.GLOBAL, 0, self.now)
        self.max_positions = max(self.max_positions, self.model.positions())
        assert p.value == self.model.positions() <= MAX_POSITIONS
        assert self.e.open_reservations() == len(self.model.res)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_no_sequence_passes_a_limit(risk_env: Any, sequence: list[tuple[Any, ...]]) -> None:
    with risk_env.engine() as engine:
        h = Harness(engine, risk_env)
        for op in sequence:
            h.step(op)
        event(f"accepted orders: {min(h.accepted, 10)}")
        event(f"max positions: {h.max_positions}")
        event(f"steps short: {min(h.shorts, 5)}")
        # steer the search toward sequences that fill the books
        target(float(h.accepted), label="accepted orders")
        target(float(h.max_positions), label="max positions")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(linear_ops)
def test_linear_shorts_and_flips(risk_env: Any, sequence: list[tuple[Any, ...]]) -> None:
    """Shorts count at max(proceeds, mark) plus open sells; a fill through zero
    books the closed part and opens the rest: the engine and the model agree."""
    with risk_env.engine() as engine:
        h = Harness(engine, risk_env)
        for op in sequence:
            h.step(op)
        event(f"steps short: {min(h.shorts, 5)}")
        target(float(h.shorts), label="steps short")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 99), st.integers(1, 20)), min_size=1, max_size=30))
def test_yes_no_pairs_never_count_more_than_their_loss(
    risk_env: Any, orders: list[tuple[int, int]]
) -> None:
    """Alternating YES/NO buys in one market: the exposure is exactly the
    worst-case loss at resolution, max(0, cost - min(YES, NO))."""
    with risk_env.engine() as engine:
        yes = engine.add_instrument(risk_env.binary_spec("y", "0xpair")).id
        no = engine.add_instrument(risk_env.binary_spec("n", "0xpair")).id
        now = risk_env.t0
        for i in (yes, no):
            engine.mark(i, Decimal("0.5"), now)
        held = {yes: Decimal(0), no: Decimal(0)}
        cost = Decimal(0)
        market = engine.instrument(yes).market
        for k, (cents, qty) in enumerate(orders):
            inst = yes if k % 2 == 0 else no
            price = Decimal(cents) / 100
            got = engine.check(inst, Side.BUY, price, Decimal(qty), now)
            if got.accepted:
                assert engine.on_fill(
                    got.res_id,
                    inst,
                    Side.BUY,
                    trade_id=f"p{k}",
                    qty=Decimal(qty),
                    price=price,
                    now_ns=now,
                )
                held[inst] += qty
                cost += price * qty
            worst = max(Decimal(0), cost - min(held.values()))
            u = engine.usage(Code.MAX_POSITION, Scope.MARKET, market, now)
            assert u.value == worst
            assert worst <= MAX_POSITION
        # resolution books exactly the payoff of the winning side
        engine.resolve_market(market, yes, now)
        assert engine.pnl(Scope.MARKET, market).realized == held[yes] - cost


def test_model_matches_half_even_partial_close(risk_env: Any) -> None:
    """A partial close whose cost share is not exact is rounded half-even
    to 1e-8 by both the engine and the model."""
    with risk_env.engine() as engine:
        h = Harness(engine, risk_env)
        btc = h.btc

        def trade(side: Side, price: int, qty: str, trade_id: str) -> None:
            got = engine.check(btc, side, Decimal(price), Decimal(qty), h.now)
            assert got.accepted, got
            h.model.reserve(got.res_id, btc, side, Decimal(price), Decimal(qty))
            assert engine.on_fill(
                got.res_id,
                btc,
                side,
                trade_id=trade_id,
                qty=Decimal(qty),
                price=Decimal(price),
                now_ns=h.now,
            )
            h.model.fill(got.res_id, Decimal(qty), Decimal(price))

        trade(Side.BUY, 97, "0.001", "a")
        trade(Side.BUY, 98, "0.002", "b")  # cost 0.293 for 0.003
        trade(Side.SELL, 99, "0.001", "c")  # share 0.0976666... -> 0.09766667
        h.verify()
        assert engine.position(btc).cost == Decimal("0.19533333")
        assert h.model.legs[btc].cost == Decimal("0.19533333")
        assert engine.position(btc).realized_usd == Decimal("0.00133333")
