"""Replay / backtest: the MarketMaker over recorded (or synthetic) books and trades, through the
queue-keeping reconciler, post-only retries, an optional real risk engine and the paper matcher.

Events are consumed in order from any iterable (the Postgres loader comes later). After every
book event of a market the strategy runs for that market, its desired orders are reconciled
against what rests (cancels first, so the risk engine never sees old and new at once), and every
fill updates the inventory, the risk engine and the cancel/fill governor. The result carries
every order, fill, spread sample and settlement the reports need, and the breach monitor's
findings.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from gateway.mm.inventory import apply_fill
from gateway.mm.paper import PaperFill, PaperMatcher
from gateway.mm.reconcile import is_post_only_reject, post_only_retry, reconcile
from gateway.mm.riskbridge import RiskBridge
from gateway.mm.strategy import MarketMaker
from gateway.mm.synth import BookEvent, Event, RefEvent, ResolveEvent, TradeEvent
from gateway.mm.types import (
    ONE,
    ZERO,
    Book,
    DesiredOrder,
    Inventory,
    MarketInfo,
    MarketState,
    RefPrice,
    StrategyState,
    Trade,
)

NS = 1_000_000_000


@dataclass
class OrderLog:
    order_id: str
    market_id: str
    outcome: str
    side: str
    price: Decimal
    size: Decimal
    level: int
    post_only: bool
    placed_ns: int
    filled: Decimal = ZERO
    first_fill_ns: int | None = None
    done_ns: int | None = None
    res_id: int = 0


@dataclass(frozen=True, slots=True)
class SpreadSample:
    market_id: str
    ts_ns: int
    seconds_in: int  # since the market's start
    spread: Decimal


@dataclass(frozen=True, slots=True)
class Settlement:
    market_id: str
    ts_ns: int
    yes_wins: bool
    payout: Decimal
    inventory: Inventory


@dataclass
class ReplayResult:
    orders: dict[str, OrderLog] = field(default_factory=dict)
    fills: list[PaperFill] = field(default_factory=list)
    spreads: list[SpreadSample] = field(default_factory=list)
    books: list[tuple[str, Book]] = field(default_factory=list)  # every Nth snapshot
    settlements: list[Settlement] = field(default_factory=list)
    risk_rejects: Counter[str] = field(default_factory=Counter)
    venue_rejects: Counter[str] = field(default_factory=Counter)
    post_only_retries: int = 0
    breaches: list[str] = field(default_factory=list)
    decisions: Counter[str] = field(default_factory=Counter)
    cash: Decimal = ZERO  # sells - buys - fees + payouts (rebates apart)
    cycles: int = 0


@dataclass
class _Market:
    info: MarketInfo
    book: Book | None = None
    last_data_ns: int = 0
    trades: deque[Trade] = field(default_factory=lambda: deque(maxlen=64))
    inventory: Inventory = field(default_factory=Inventory)
    resolved: bool = False


class Replay:
    def __init__(
        self,
        mm: MarketMaker,
        infos: Sequence[MarketInfo],
        *,
        risk: RiskBridge | None = None,
        bankroll: Decimal = Decimal(500),
        snapshot_every_s: int = 10,
    ) -> None:
        self.mm = mm
        self.markets = {i.market_id: _Market(i) for i in infos}
        self.matcher = PaperMatcher({i.market_id: i for i in infos})
        self.risk = risk
        self.bankroll = bankroll
        self.refs: dict[str, RefPrice] = {}
        self.snapshot_ns = snapshot_every_s * NS
        self._last_snap: dict[str, int] = {}
        self.result = ReplayResult()

    def run(self, events: Iterable[Event]) -> ReplayResult:
        for ev in events:
            if isinstance(ev, RefEvent):
                self.refs[ev.ref.symbol] = ev.ref
            elif isinstance(ev, TradeEvent):
                m = self.markets[ev.market_id]
                m.trades.append(ev.trade)
                m.last_data_ns = ev.ts_ns
                self._fills(self.matcher.on_trade(ev.market_id, ev.trade), ev.ts_ns)
            elif isinstance(ev, BookEvent):
                self._on_book(ev)
            else:
                self._resolve(ev)
        return self.result

    # ---- events ----
    def _on_book(self, ev: BookEvent) -> None:
        m = self.markets[ev.market_id]
        if m.resolved:
            return
        m.book, m.last_data_ns = ev.book, ev.ts_ns
        if self.risk is not None and ev.book.mid is not None:
            mid = ev.book.mid.quantize(m.info.tick)
            self.risk.mark(m.info.yes_token, mid, ev.ts_ns)
            self.risk.mark(m.info.no_token, ONE - mid, ev.ts_ns)
        self._record_book(m, ev)
        self._fills(self.matcher.on_book(ev.market_id, ev.book), ev.ts_ns)
        self._cycle(m, ev.ts_ns)
        if self.risk is not None:
            live = {k: self.risk.market_index[k] for k, v in self.markets.items() if not v.resolved}
            self.result.breaches.extend(self.risk.breaches(ev.ts_ns, live))

    def _record_book(self, m: _Market, ev: BookEvent) -> None:
        spread = ev.book.spread
        if spread is not None:
            secs = (ev.ts_ns - m.info.start_ns) // NS
            self.result.spreads.append(SpreadSample(ev.market_id, ev.ts_ns, secs, spread))
        if ev.ts_ns - self._last_snap.get(ev.market_id, -self.snapshot_ns) >= self.snapshot_ns:
            self._last_snap[ev.market_id] = ev.ts_ns
            self.result.books.append((ev.market_id, ev.book))

    def _resolve(self, ev: ResolveEvent) -> None:
        m = self.markets[ev.market_id]
        for oid in self.matcher.cancel_all(ev.market_id):
            self._done(oid, ev.ts_ns)
        inv = m.inventory
        payout = inv.yes_qty if ev.yes_wins else inv.no_qty
        self.result.cash += payout
        self.result.settlements.append(Settlement(ev.market_id, ev.ts_ns, ev.yes_wins, payout, inv))
        if self.risk is not None:
            self.risk.resolve(m.info, ev.yes_wins, ev.ts_ns)
        m.inventory = Inventory()
        m.resolved = True

    # ---- one strategy cycle ----
    def _cycle(self, m: _Market, now: int) -> None:
        assert m.book is not None
        reduce_only = position_stop = False
        if self.risk is not None:
            reduce_only, position_stop = self.risk.market_flags(m.info.market_id)
        resting = self.matcher.resting(m.info.market_id)
        state = StrategyState(
            now,
            (
                MarketState(
                    m.info, m.book, None, tuple(m.trades), m.inventory, resting, m.last_data_ns,
                    position_stop, reduce_only,
                ),
            ),
            tuple(self.refs.values()),
            self.bankroll,
        )
        desired = self.mm.desired_orders(state)
        self.result.cycles += 1
        decision = self.mm.decisions.get(m.info.market_id)
        if decision is not None:
            self.result.decisions[f"{decision.action}:{decision.reason}"] += 1
        cfg = self.mm.config_for(m.info.market_id)
        plan = reconcile(
            desired, resting, size_tol=cfg.size_tol, min_size={
                m.info.yes_token: m.info.min_size, m.info.no_token: m.info.min_size
            },
        )
        for r in plan.cancels:
            if self.matcher.cancel(m.info.market_id, r.order_id):
                self._done(r.order_id, now)
        if plan.cancels:
            self.mm.on_cancels(m.info.market_id, len(plan.cancels), now)
        for d in plan.places:
            self._place(d, now)

    def _place(self, d: DesiredOrder, now: int) -> None:
        tries = 0
        order: DesiredOrder | None = d
        while order is not None:
            res_id = 0
            if self.risk is not None:
                res_id, why = self.risk.check(order, now)
                if not res_id:
                    self.result.risk_rejects[why.split(":")[0]] += 1
                    return
            oid, reject, fills = self.matcher.place(order, now)
            if oid:
                if self.risk is not None:
                    self.risk.ack(res_id, oid)
                self.result.orders[oid] = OrderLog(
                    oid, order.market_id, order.outcome, order.side, order.price, order.size,
                    order.level, order.post_only, now, res_id=res_id,
                )
                self._fills(fills, now)
                if not order.post_only:
                    self._done(oid, now)  # fill-and-kill: the rest is gone
                return
            if self.risk is not None:
                self.risk.reject(res_id, now)
            self.result.venue_rejects[reject] += 1
            if not is_post_only_reject(reject):
                return
            tick = self.markets[order.market_id].info.tick
            order = post_only_retry(order, tries, tick)
            tries += 1
            if order is not None:
                self.result.post_only_retries += 1

    def _done(self, oid: str, now: int) -> None:
        log = self.result.orders.get(oid)
        if log is None or log.done_ns is not None:
            return
        log.done_ns = now
        if self.risk is not None and log.res_id and log.filled < log.size:
            self.risk.cancel(log.res_id, now)

    def _fills(self, fills: list[PaperFill], now: int) -> None:
        for f in fills:
            m = self.markets[f.market_id]
            m.inventory, _ = apply_fill(
                m.inventory, outcome="YES" if f.outcome == "YES" else "NO", side=f.side,
                qty=f.size, price=f.price, now_ns=now,
            )
            notional = f.price * f.size
            self.result.cash += (notional if f.side == "SELL" else -notional) - f.fee
            self.result.fills.append(f)
            log = self.result.orders.get(f.order_id)
            if log is not None:
                log.filled += f.size
                if log.first_fill_ns is None:
                    log.first_fill_ns = now
                if log.filled >= log.size and log.post_only:
                    log.done_ns = now
            if self.risk is not None:
                self.risk.fill(
                    log.res_id if log is not None else 0, f.token_id, f.side,
                    trade_id=f.trade_id, qty=f.size, price=f.price, fee=f.fee,
                    maker=f.liquidity == "maker", now_ns=now,
                )
            self.mm.on_fill(f.market_id, now)
