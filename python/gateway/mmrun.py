"""The market maker (`gateway.mm`) behind the gateway: the state adapter and the plan.

`MMDriver.state()` turns what the gateway knows into `mm.types.StrategyState`: the books of
both tokens (top levels), the market channel's public trades (in YES terms), the inventory
this gateway's own fills produced (average cost, when it opened), the orders resting or in
flight, reference prices pushed by trader (`refprice`), and trader's verdicts: a market whose
per-position stop fired (`position_stop` event) is told to exit and is reduce-only until our
position there is flat again (trader clears its stop when the round trip closes); a
polymarket or global scope REDUCING makes every market reduce-only.

`MMDriver.plan()` runs `mm.reconcile.reconcile` per market: the queue-keeping diff (cancels
before places), which the executor carries out (batches of 15, post-only retries).
"""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal

from gateway.book import Book as GwBook
from gateway.discovery import MarketInfo as GwMarket
from gateway.mm.inventory import apply_fill
from gateway.mm.reconcile import Plan, reconcile
from gateway.mm.strategy import MarketMaker
from gateway.mm.types import (
    Book,
    DesiredOrder,
    FeeSchedule,
    Inventory,
    Level,
    MarketInfo,
    MarketState,
    RefPrice,
    RestingOrder,
    Side,
    StrategyState,
    Trade,
)
from gateway.orders import Tracked

log = logging.getLogger("gateway.mm")

NS = 1_000_000_000
ZERO = Decimal(0)
ONE = Decimal(1)
DEPTH = 10
_STOP_MARKET = re.compile(r"market polymarket:(\S+?) position PnL")


def fees_of(m: GwMarket) -> FeeSchedule:
    if not m.fees_enabled:
        return FeeSchedule()
    return FeeSchedule(m.fee_rate, int(m.fee_exponent), m.rebate_rate)


def mm_info(m: GwMarket, tick: Decimal) -> MarketInfo:
    start = m.start_ts or (m.end_ts - 900 if m.crypto_15m and m.end_ts else 0.0)
    return MarketInfo(
        market_id=m.condition_id, yes_token=m.tokens[0], no_token=m.tokens[1], tick=tick,
        min_size=m.min_size, fees=fees_of(m), start_ns=int(start * NS),
        end_ns=int(m.end_ts * NS) if m.end_ts else 0,
        # the strike ("price to beat") is not published by Gamma: without it the spot model
        # stays off and fair value is the books' micro-price alone
        ref_symbol=None, strike=None)


def mm_book(b: GwBook | None, ts_ns: int) -> Book | None:
    if b is None or not b.synced:
        return None
    bids, asks = b.top(DEPTH)
    return Book(tuple(Level(p, s) for p, s in bids), tuple(Level(p, s) for p, s in asks), ts_ns)


class MMDriver:
    def __init__(self, mm: MarketMaker, bankroll: Decimal) -> None:
        self.mm = mm
        self.bankroll = bankroll
        self.trades: dict[str, deque[Trade]] = {}
        self.last_data_ns: dict[str, int] = {}
        self.inventory: dict[str, Inventory] = {}
        self.stopped: dict[str, str] = {}        # market -> trader's position_stop text
        self.refs: dict[str, RefPrice] = {}
        self.desired: dict[str, DesiredOrder] = {}   # our cid -> the desired order it carries

    # ---- inputs --------------------------------------------------------------------
    def on_data(self, market: str, now_ns: int) -> None:
        self.last_data_ns[market] = now_ns

    def on_trade(self, m: GwMarket, token: str, *, taker_side: str, price: Decimal,
                 size: Decimal, now_ns: int) -> None:
        """A public trade on either token, kept in YES terms (a NO buy is a YES sell)."""
        if token == m.tokens[0]:
            side: Side = "BUY" if taker_side == "BUY" else "SELL"
            px = price
        else:
            side = "SELL" if taker_side == "BUY" else "BUY"
            px = ONE - price
        q = self.trades.setdefault(m.condition_id, deque(maxlen=64))
        q.append(Trade(px, size, side, now_ns))
        self.last_data_ns[m.condition_id] = now_ns

    def on_ref(self, sym: str, px: Decimal, now_ns: int) -> None:
        self.refs[sym] = RefPrice(sym, px, now_ns)

    def on_trader_event(self, kind: str, reason: str) -> str | None:
        """trader's `position_stop` event names the market: it must exit. Returns it."""
        if kind != "position_stop":
            return None
        mt = _STOP_MARKET.search(reason)
        if mt is None:
            log.error("position_stop for a market not named in %r: stopping every market",
                      reason)
            for k in list(self.inventory):
                self.stopped[k] = reason
            return None
        self.stopped[mt.group(1)] = reason
        log.warning("trader position stop: %s", reason)
        return mt.group(1)

    def on_fill(self, m: GwMarket, token: str, *, side: str, qty: Decimal, price: Decimal,
                now_ns: int, sign: int) -> None:
        """A fill of ours (sign 1), or one taken back because its trade FAILED (sign -1)."""
        cid = m.condition_id
        inv = self.inventory.get(cid, Inventory())
        outcome = "YES" if token == m.tokens[0] else "NO"
        eff: Side = ("BUY" if side == "BUY" else "SELL") if sign > 0 else (
            "SELL" if side == "BUY" else "BUY")
        held = inv.yes_qty if outcome == "YES" else inv.no_qty
        if eff == "SELL" and qty > held:
            log.error("inventory of %s: selling %s %s with %s held; clamped", cid[:12], qty,
                      outcome, held)
            qty = held
        if qty > 0:
            inv, _ = apply_fill(inv, outcome=outcome, side=eff,  # type: ignore[arg-type]
                                qty=qty, price=price, now_ns=now_ns)
            self.inventory[cid] = inv
        if sign > 0:
            self.mm.on_fill(cid, now_ns)
        if cid in self.stopped and inv.yes_qty == inv.no_qty:
            log.info("position of %s flat again: stop lifted", cid[:12])
            self.stopped.pop(cid, None)

    def on_resolved(self, market: str) -> None:
        self.inventory.pop(market, None)
        self.stopped.pop(market, None)
        self.trades.pop(market, None)

    # ---- the strategy --------------------------------------------------------------
    def state(self, markets: Mapping[str, GwMarket], books: Mapping[str, GwBook],
              resting: Mapping[str, Sequence[Tracked]], now_ns: int, *, reduce_all: bool,
              tick_of: Callable[[str], Decimal] | None = None) -> StrategyState:
        out: list[MarketState] = []
        for cid, m in markets.items():
            yb = books.get(m.tokens[0])
            yes = mm_book(yb, now_ns)
            if yes is None or yb is None or not m.accepting:
                continue
            no = mm_book(books.get(m.tokens[1]), now_ns)
            rest = tuple(RestingOrder(o.cid, o.token, o.side, o.price, o.remaining,
                                      o.created_ns) for o in resting.get(cid, ()))
            stop = cid in self.stopped
            out.append(MarketState(
                info=mm_info(m, tick_of(m.tokens[0]) if tick_of else yb.tick), yes_book=yes,
                no_book=no,
                trades=tuple(self.trades.get(cid, ())),
                inventory=self.inventory.get(cid, Inventory()), resting=rest,
                last_data_ns=self.last_data_ns.get(cid, 0), position_stop=stop,
                reduce_only=stop or reduce_all))
        return StrategyState(now_ns, tuple(out), tuple(self.refs.values()), self.bankroll)

    def plan(self, state: StrategyState, desired: Iterable[DesiredOrder]
             ) -> dict[str, Plan]:
        by_market: dict[str, list[DesiredOrder]] = {}
        for d in desired:
            by_market.setdefault(d.market_id, []).append(d)
        plans: dict[str, Plan] = {}
        for ms in state.markets:
            info = ms.info
            cfg = self.mm.config_for(info.market_id)
            plans[info.market_id] = reconcile(
                by_market.get(info.market_id, []), ms.resting, size_tol=cfg.size_tol,
                min_size={info.yes_token: info.min_size, info.no_token: info.min_size})
        return plans

    def remember(self, cid: str, d: DesiredOrder) -> None:
        self.desired[cid] = d
        if len(self.desired) > 20_000:
            for k in list(self.desired)[:10_000]:
                del self.desired[k]

    def retry_of(self, cid: str) -> DesiredOrder | None:
        return self.desired.get(cid)


def level_of(d: DesiredOrder) -> int:
    return d.level


def with_price(d: DesiredOrder, price: Decimal) -> DesiredOrder:
    return replace(d, price=price)
