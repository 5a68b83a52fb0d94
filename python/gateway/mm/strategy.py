"""MarketMaker: composes fair value, guards, regime, exits, quoting and sizing into the set of
orders that should rest for each market.

Pure apart from small deterministic memories fed with the explicit ``now`` of each call (mid and
reference-price windows, cancel/fill windows, when a soft exit or a micro-volatility halt began),
so replaying the same states gives the same orders. No clock, socket or file is read here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gateway.mm.config import MMConfig
from gateway.mm.exits import decide_exit
from gateway.mm.exploration import exploration_orders
from gateway.mm.fairvalue import blend, updown_probability, yes_fair_from_books
from gateway.mm.fees import fee_per_share
from gateway.mm.guards import closing, flow_imbalance, gapped, micro_move, stalled
from gateway.mm.inventory import Unpaired, avg_cost, net_delta, unpaired
from gateway.mm.quoting import Bid, as_quote, fit_budget, ladder, pair_cap
from gateway.mm.regime import (
    CancelFillWindow,
    Governor,
    Pause,
    TimeSeries,
    govern,
    paused,
    vol_mode,
)
from gateway.mm.sizing import size_for
from gateway.mm.ticks import snap_ask, snap_bid
from gateway.mm.types import ONE, ZERO, DesiredOrder, MarketState, Outcome, RefPrice, StrategyState

NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Decision:
    """Why a market got the orders it got (for logs, the record and the reports)."""

    market_id: str
    now_ns: int
    action: str  # quote | soft_exit | forced_exit | explore | none
    reason: str = ""
    fair: Decimal | None = None
    reservation: Decimal | None = None
    half_spread: Decimal | None = None
    mode: str = ""
    vol: Decimal = ZERO
    orders: int = 0


class _Memory:
    def __init__(self, cfg: MMConfig) -> None:
        span = max(cfg.vol_window_s, cfg.microvol_window_s)
        self.mids = TimeSeries(span, min_gap_ms=250)
        self.cfw = CancelFillWindow(cfg.cfr_window_s)
        self.soft_since_ns: int | None = None
        self.halt_until_ns = 0


class MarketMaker:
    """``desired_orders(state)`` -> the orders that should rest now, over every market in the
    state. Feed executions back with ``on_fill`` / ``on_cancels`` (cancel-to-fill governor) and
    screener output with ``set_market_config``."""

    def __init__(self, config: MMConfig | None = None, calendar: Sequence[Pause] = ()) -> None:
        self.config = config or MMConfig()
        self.calendar: tuple[Pause, ...] = tuple(calendar)
        self._overrides: dict[str, MMConfig] = {}
        self._mem: dict[str, _Memory] = {}
        self._refs: dict[str, TimeSeries] = {}
        self.decisions: dict[str, Decision] = {}

    # ---- inputs other than the state ----
    def set_market_config(self, market_id: str, overrides: Mapping[str, Any]) -> None:
        """Per-market overrides (from the screener over Redis); {} restores the defaults."""
        self._overrides[market_id] = self.config.with_overrides(overrides)

    def set_calendar(self, calendar: Sequence[Pause]) -> None:
        self.calendar = tuple(calendar)

    def on_fill(self, market_id: str, now_ns: int) -> None:
        self._memory(market_id).cfw.note_fill(now_ns)

    def on_cancels(self, market_id: str, n: int, now_ns: int) -> None:
        if n > 0:
            self._memory(market_id).cfw.note_cancels(now_ns, n)

    def config_for(self, market_id: str) -> MMConfig:
        return self._overrides.get(market_id, self.config)

    # ---- the strategy ----
    def desired_orders(self, state: StrategyState) -> list[DesiredOrder]:
        now = state.now_ns
        for ref in state.refs:
            self._note_ref(ref)
        out: list[DesiredOrder] = []
        for ms in state.markets:
            cfg = self.config_for(ms.info.market_id) if state.config is None else state.config
            orders, decision = self._market(ms, now, cfg, state.refs, state.bankroll)
            self.decisions[ms.info.market_id] = decision
            out.extend(orders)
        return out

    def _memory(self, market_id: str) -> _Memory:
        mem = self._mem.get(market_id)
        if mem is None:
            mem = self._mem[market_id] = _Memory(self.config_for(market_id))
        return mem

    def _note_ref(self, ref: RefPrice) -> None:
        series = self._refs.get(ref.symbol)
        if series is None:
            series = self._refs[ref.symbol] = TimeSeries(
                self.config.vol_window_s, min_gap_ms=1000, log_returns=True
            )
        if series.latest is None or ref.ts_ns > series.latest[0]:
            series.add(ref.ts_ns, ref.price)

    def _fair(
        self, ms: MarketState, now: int, cfg: MMConfig, refs: Sequence[RefPrice]
    ) -> Decimal | None:
        info = ms.info
        micro = yes_fair_from_books(ms.yes_book, ms.no_book, cfg.micro_depth)
        model: Decimal | None = None
        if info.ref_symbol is not None and info.strike is not None:
            ref = next((r for r in refs if r.symbol == info.ref_symbol), None)
            if ref is not None and now - ref.ts_ns <= cfg.ref_max_age_s * NS:
                series = self._refs.get(ref.symbol)
                vol = max(series.vol() if series else ZERO, cfg.ref_vol_floor)
                left = Decimal(max(info.end_ns - now, 0)) / NS if info.end_ns else Decimal(0)
                model = updown_probability(ref.price, info.strike, left, vol)
        fair = blend(micro, model, cfg.model_weight)
        if fair is None:
            return None
        return min(max(fair, info.tick), ONE - info.tick)

    def _market(
        self,
        ms: MarketState,
        now: int,
        cfg: MMConfig,
        refs: Sequence[RefPrice],
        bankroll: Decimal,
    ) -> tuple[list[DesiredOrder], Decision]:
        info = ms.info
        mid = info.market_id
        mem = self._memory(mid)
        book_mid = ms.yes_book.mid
        if book_mid is not None:
            mem.mids.add(now, book_mid)
        if not cfg.enabled:
            return [], Decision(mid, now, "none", "disabled")
        if stalled(ms.last_data_ns, now, cfg.stall_s):
            return [], Decision(mid, now, "none", "stall")
        fair = self._fair(ms, now, cfg, refs)
        if fair is None:
            return [], Decision(mid, now, "none", "no_fair_value")
        inv = ms.inventory
        pos = unpaired(inv)
        if pos is not None and pos.qty < info.min_size:
            pos = None  # dust no limit order can sell: the quoting below pairs it off instead
        pos_fair = (fair if pos.outcome == "YES" else ONE - fair) if pos else fair
        want_soft = ""
        if ms.reduce_only:
            want_soft = "reduce_only"
        elif abs(net_delta(inv)) >= cfg.max_net_shares:
            want_soft = "inventory_cap"
        if want_soft and pos is not None:
            if mem.soft_since_ns is None:
                mem.soft_since_ns = now
        else:
            mem.soft_since_ns = None
        ex = decide_exit(
            pos, pos_fair, now_ns=now, opened_ns=inv.opened_ns, soft_since_ns=mem.soft_since_ns,
            want_soft=want_soft, position_stop=ms.position_stop,
            unwind_timeout_s=cfg.unwind_timeout_s, max_age_s=cfg.max_position_age_s,
            max_adverse=cfg.max_adverse_move,
        )
        if ex.mode == "forced" and pos is not None:
            orders = self._forced_exit(ms, pos, ex.reason)
            return orders, Decision(mid, now, "forced_exit", ex.reason, fair, orders=len(orders))
        # Everything below only rests maker orders.
        if closing(info.end_ns, now, cfg.stop_before_end_s):
            return [], Decision(mid, now, "none", "market_closing", fair)
        if ms.reduce_only and pos is None:
            return [], Decision(mid, now, "none", "reduce_only", fair)
        if gapped(ms.yes_book, cfg.max_spread):
            return [], Decision(mid, now, "none", "gapped", fair)
        if micro_move(mem.mids.samples(), now, cfg.microvol_window_s) > cfg.microvol_max_move:
            mem.halt_until_ns = now + cfg.microvol_cooldown_s * NS
        if now < mem.halt_until_ns:
            return [], Decision(mid, now, "none", "microvol_halt", fair)
        vol = mem.mids.vol()
        mode = vol_mode(vol, trending=cfg.trending_vol, event=cfg.event_vol)
        gov = govern(
            mode, vol, cfr=mem.cfw.ratio(now), cfr_max=cfg.cfr_max, cfr_widen=cfg.cfr_widen,
            cfr_hold_ticks=cfg.cfr_hold_ticks, trending_widen=cfg.trending_widen,
            event_pause=cfg.event_pause, event_widen=cfg.event_widen,
            calendar_reason=paused(self.calendar, mid, now),
        )
        if gov.pause:
            return [], Decision(mid, now, "none", gov.pause, fair, mode=mode, vol=vol)
        if ex.mode == "soft" and pos is not None:
            orders = self._soft_exit(ms, pos, fair, cfg, gov)
            return orders, Decision(
                mid, now, "soft_exit", ex.reason, fair, mode=mode, vol=vol, orders=len(orders)
            )
        if cfg.exploration:
            size = cfg.fixed_size if cfg.fixed_size > 0 else info.min_size
            orders = exploration_orders(
                info, ms.yes_book, ms.no_book, cfg.exploration_levels, size,
                price_tol=cfg.price_tol_ticks * info.tick,
            )
            return orders, Decision(mid, now, "explore", "", fair, orders=len(orders))
        return self._quote(ms, now, fair, cfg, gov=gov, bankroll=bankroll)

    def _best_bid(self, ms: MarketState, outcome: Outcome) -> Decimal | None:
        if outcome == "YES":
            return ms.yes_book.best_bid
        if ms.no_book is not None and ms.no_book.bids:
            return ms.no_book.best_bid
        a = ms.yes_book.best_ask
        return None if a is None else ONE - a

    def _best_ask(self, ms: MarketState, outcome: Outcome) -> Decimal | None:
        if outcome == "YES":
            return ms.yes_book.best_ask
        if ms.no_book is not None and ms.no_book.asks:
            return ms.no_book.best_ask
        b = ms.yes_book.best_bid
        return None if b is None else ONE - b

    def _token(self, ms: MarketState, outcome: Outcome) -> str:
        return ms.info.yes_token if outcome == "YES" else ms.info.no_token

    def _forced_exit(self, ms: MarketState, pos: Unpaired, reason: str) -> list[DesiredOrder]:
        """Sell the unpaired shares at the best bid as a taker (crossing is the point)."""
        bid = self._best_bid(ms, pos.outcome)
        if bid is None or pos.qty < ms.info.min_size:
            return []
        return [
            DesiredOrder(
                ms.info.market_id, self._token(ms, pos.outcome), pos.outcome, "SELL", bid,
                pos.qty, level=0, post_only=False, reason=f"forced_exit:{reason}",
            )
        ]

    def _soft_exit(
        self, ms: MarketState, pos: Unpaired, fair: Decimal, cfg: MMConfig, gov: Governor
    ) -> list[DesiredOrder]:
        """Drop the bid ladder; lean the ask: sell the unpaired shares at the better of the best
        ask and fair, but always one tick above the best bid so it stays maker."""
        tick = ms.info.tick
        bid = self._best_bid(ms, pos.outcome)
        ask = self._best_ask(ms, pos.outcome)
        if bid is None or ask is None or pos.qty < ms.info.min_size:
            return []
        own_fair = fair if pos.outcome == "YES" else ONE - fair
        price = max(snap_ask(min(ask, own_fair), tick), bid + tick)
        return [
            DesiredOrder(
                ms.info.market_id, self._token(ms, pos.outcome), pos.outcome, "SELL", price,
                pos.qty, level=0, price_tol=(cfg.price_tol_ticks + gov.hold_ticks) * tick,
                reason="soft_exit",
            )
        ]

    def _quote(
        self,
        ms: MarketState,
        now: int,
        fair: Decimal,
        cfg: MMConfig,
        *,
        gov: Governor,
        bankroll: Decimal,
    ) -> tuple[list[DesiredOrder], Decision]:
        info = ms.info
        tick = info.tick
        inv = ms.inventory
        net = net_delta(inv)
        sigma = max(gov.vol, cfg.vol_floor)
        left = Decimal(max(info.end_ns - now, 0)) / NS if info.end_ns else Decimal(cfg.horizon_s)
        tau = min(Decimal(cfg.horizon_s), left)
        q = net / cfg.inventory_unit
        quote = as_quote(
            fair, q, gamma=cfg.gamma, kappa=cfg.kappa, sigma=sigma, tau_s=tau,
            min_half_spread=cfg.min_half_spread, widen=gov.widen,
        )
        flow = flow_imbalance(
            ms.trades, now, window_s=cfg.ofi_window_s, min_volume=cfg.ofi_min_volume,
            threshold=cfg.ofi_threshold,
        )
        sides: list[tuple[Outcome, Decimal, Decimal, bool]] = []
        for outcome in ("YES", "NO"):
            own_fair = fair if outcome == "YES" else ONE - fair
            as_price = quote.bid if outcome == "YES" else ONE - quote.ask
            reducing = (net < 0) if outcome == "YES" else (net > 0)
            top = as_price
            if not reducing:
                need = cfg.min_net_edge + cfg.exit_fee_weight * fee_per_share(own_fair, info.fees)
                top = min(top, own_fair - need)
            cap = pair_cap(avg_cost(inv, "NO" if outcome == "YES" else "YES"), cfg.pair_margin)
            if cap is not None:
                top = min(top, cap)
            best_ask = self._best_ask(ms, outcome)
            if best_ask is not None:
                top = min(top, best_ask - tick)  # post-only: never cross
            pulled = flow.pull_bids if outcome == "YES" else flow.pull_asks
            if ms.reduce_only and not reducing:
                pulled = True
            sides.append((outcome, top, own_fair, pulled and not reducing))
        # Delta-neutral pair bidding: L1 YES + L1 NO must stay under 1 - margin.
        (_, y_top, _, _), (_, n_top, _, _) = sides
        excess = y_top + n_top - (ONE - cfg.pair_margin)
        if excess > 0:
            sides = [(o, t - excess, f, p) for (o, t, f, p) in sides]
        rungs: dict[Outcome, list[Bid]] = {"YES": [], "NO": []}
        for outcome, top, own_fair, pulled in sides:
            if pulled:
                continue
            l1 = snap_bid(top, tick)
            base = size_for(
                cfg.sizing, price=l1, belief=own_fair, min_size=info.min_size,
                max_size=cfg.max_size, fixed_size=cfg.fixed_size, alloc_usd=cfg.alloc_usd,
                bankroll=bankroll,
            )
            if base <= 0 or top < tick:
                continue
            for r in ladder(
                top, tick=tick, step_ticks=cfg.level_step_ticks, base_size=base,
                mults=cfg.level_mults, levels=cfg.levels,
            ):
                rungs[outcome].append(Bid(outcome, r.level, r.price, r.size))
        ordered = [b for pair in _interleave(rungs["YES"], rungs["NO"]) for b in pair]
        kept = fit_budget(ordered, inv, budget=cfg.max_market_usd, max_net=cfg.max_net_shares)
        tol = (cfg.price_tol_ticks + gov.hold_ticks) * tick
        orders = [
            DesiredOrder(
                info.market_id, self._token(ms, b.outcome), b.outcome, "BUY", b.price, b.size,
                level=b.level, price_tol=tol, reason=f"L{b.level}",
            )
            for b in kept
        ]
        return orders, Decision(
            info.market_id, now, "quote", "", fair, quote.reservation, quote.half_spread,
            gov.mode, gov.vol, len(orders),
        )


def _interleave(a: list[Bid], b: list[Bid]) -> list[list[Bid]]:
    """[[a1, b1], [a2, b2], ...]: tighter rungs of both sides come before deeper ones."""
    out: list[list[Bid]] = []
    for i in range(max(len(a), len(b))):
        out.append([*a[i : i + 1], *b[i : i + 1]])
    return out
