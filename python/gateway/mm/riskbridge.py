"""The replay's pre-trade gate: the real C risk engine (trader.risk cffi binding) fed exactly as
trader feeds it (marks, checks, acks, fills, cancels, resolutions), plus a breach monitor that
reads every limit's usage against its bound."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from gateway.mm.types import DesiredOrder, MarketInfo
from trader.risk import Code, Instrument, RiskEngine, Scope, Side, State

# Limits for paper sessions: the micro profile's rules with room for a 3-level ladder on both
# sides of two concurrent markets (the micro $10 per market fits L1 + L2 only).
PAPER_LIMITS: dict[str, Any] = {
    "profile": "wide",
    "global": {
        "max_order_notional_usd": "20", "max_position_usd": "40", "max_positions": 4,
        "max_exposure_usd": "120", "max_daily_loss_usd": "50", "starting_capital_usd": "500",
        "max_drawdown_pct": "25", "position_stop_usd": "10",
        "loss_breaker": {"losses": 0},
    },
    "venues": {
        "polymarket": {
            "orders_per_window": 3000, "order_window_ms": 600000,
            "max_cancel_fill_ratio": "0", "price_collar_bps": 5000, "price_collar_min_ticks": 5,
            "stale_mark_ms": 30000, "require_mark": True,
        }
    },
}
_WATCHED = (
    (Code.MAX_EXPOSURE, Scope.GLOBAL),
    (Code.MAX_POSITIONS, Scope.GLOBAL),
    (Code.DAILY_LOSS, Scope.GLOBAL),
)


class RiskBridge:
    def __init__(self, engine: RiskEngine, infos: Sequence[MarketInfo]) -> None:
        self.engine = engine
        self.inst: dict[str, Instrument] = {}
        self.market_index: dict[str, int] = {}
        for info in infos:
            for token in (info.yes_token, info.no_token):
                spec = {
                    "venue": "polymarket", "kind": "binary", "symbol": token,
                    "market": info.market_id, "price_scale": 4, "qty_scale": 2,
                    "tick": str(info.tick), "lot": "0.01", "min_qty": str(info.min_size),
                    "quote_ccy": "USDC",
                }
                self.inst[token] = engine.add_instrument(spec)
            self.market_index[info.market_id] = self.inst[info.yes_token].market
        self.max_usage: dict[str, Decimal] = {}

    def mark(self, token: str, price: Decimal, now_ns: int) -> None:
        self.engine.mark(self.inst[token].id, price, now_ns)

    def check(self, d: DesiredOrder, now_ns: int) -> tuple[int, str]:
        """(reservation id, "") or (0, "CODE: reason")."""
        r = self.engine.check(
            self.inst[d.token_id].id, Side.BUY if d.side == "BUY" else Side.SELL, d.price,
            d.size, now_ns,
        )
        return (r.res_id, "") if r.accepted else (0, f"{r.code.name}: {r.reason}")

    def ack(self, res_id: int, order_id: str) -> None:
        self.engine.on_ack(res_id, order_id)

    def reject(self, res_id: int, now_ns: int) -> None:
        self.engine.on_reject(res_id, now_ns)

    def cancel(self, res_id: int, now_ns: int) -> None:
        self.engine.on_cancel(res_id, now_ns)

    def fill(
        self, res_id: int, d_token: str, side: str, *, trade_id: str, qty: Decimal,
        price: Decimal, fee: Decimal, maker: bool, now_ns: int,
    ) -> None:
        self.engine.on_fill(
            res_id, self.inst[d_token].id, Side.BUY if side == "BUY" else Side.SELL,
            trade_id=trade_id, qty=qty, price=price, now_ns=now_ns, fee=fee,
            liquidity=1 if maker else 2,
        )

    def resolve(self, info: MarketInfo, yes_wins: bool, now_ns: int) -> None:
        winner = self.inst[info.yes_token if yes_wins else info.no_token].id
        self.engine.resolve_market(self.market_index[info.market_id], winner, now_ns)

    def market_flags(self, market_id: str) -> tuple[bool, bool]:
        """(reduce_only, position_stop) for the strategy."""
        st = self.engine.scope_state(Scope.MARKET, self.market_index[market_id])
        glob = self.engine.scope_state(Scope.GLOBAL, 0)
        return st != State.ACTIVE or glob != State.ACTIVE, st == State.REDUCING

    def breaches(self, now_ns: int, markets: Mapping[str, int]) -> list[str]:
        """Every watched limit whose usage is above its bound (must stay empty)."""
        out: list[str] = []
        checks = [(c, s, 0, c.name) for c, s in _WATCHED] + [
            (Code.MAX_POSITION, Scope.MARKET, idx, f"MAX_POSITION[{m}]")
            for m, idx in markets.items()
        ]
        for code, scope, idx, name in checks:
            u = self.engine.usage(code, scope, idx, now_ns)
            if u.bound is None:
                continue
            value, bound = Decimal(u.value), Decimal(u.bound)
            key = code.name
            ratio = value / bound if bound else Decimal(0)
            self.max_usage[key] = max(self.max_usage.get(key, Decimal(0)), ratio)
            if value > bound:
                out.append(f"{name}: {value} > {bound}")
        return out
