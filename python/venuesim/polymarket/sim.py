"""The simulator's state and its clock-driven loop: schedule, flow, settlement,
heartbeat dead-man switch, rebate payouts and WebSocket publication."""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from eth_utils.address import is_hex_address

from .auth import KeyStore
from .chain.addresses import COLLATERAL_ONRAMP, USDC_E
from .chain.node import WalletState
from .chain.settlement import Settler
from .chain.worker import ChainWorker
from .clock import SimClock
from .engine import Engine, Event
from .faults import Faults
from .flow import Flow
from .gamma import fmt_tick
from .ledger import Ledger
from .markets import Catalogue, Market
from .ratelimit import RateLimiter
from .render import book_json, ws_order_json, ws_trade_json
from .units import ONE, fmt, to_micro
from .ws import Hub, change_hash

TICK_REAL_S = 0.05
DAY_S = 86400


@dataclass
class Heartbeat:
    heartbeat_id: str
    last_ok: float  # monotonic


@dataclass
class Stats:
    received: int = 0
    accepted: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    per_account: dict[str, dict[str, int]] = field(default_factory=dict)

    def account(self, address: str) -> dict[str, int]:
        return self.per_account.setdefault(address.lower(), {
            "received": 0, "accepted": 0, "rejected": 0, "fills": 0, "fees": 0})

    def reject(self, address: str, reason: str) -> None:
        key = reason if "0x" not in reason else reason.rsplit(". ", maxsplit=1)[-1]
        key = key.split(" -> ", maxsplit=1)[0]  # drop the amounts of balance refusals
        self.rejected[key.strip()] = self.rejected.get(key.strip(), 0) + 1
        if address:
            self.account(address)["rejected"] += 1


class Sim:
    def __init__(self, seed: int, speed: float, *, start_s: float | None = None,
                 page_size: int = 100, heartbeat_timeout_s: float = 10.0,
                 ws_idle_timeout_s: float = 60.0, flow: bool = True) -> None:
        self.seed = seed
        self.clock = SimClock(time.time() if start_s is None else start_s, speed)
        now = self.clock.now()
        self.catalogue = Catalogue(seed, now)
        self.ledger = Ledger()
        self.engine = Engine(self.catalogue, self.ledger, seed)
        self.flow = Flow(self.engine, seed) if flow else None
        self.keys = KeyStore(seed)
        self.faults = Faults()
        self.limiter = RateLimiter()
        self.hub = Hub(self.keys, self.faults, ws_idle_timeout_s)
        self.hub.snapshot = self.book_messages
        self.stats = Stats()
        self.page_size = page_size
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self.heartbeats: dict[str, Heartbeat] = {}
        self.last_trade: dict[str, tuple[int, str]] = {}  # token -> (price, side)
        self.best: dict[str, tuple[int | None, int | None]] = {}
        self.rebate_day = int(now // DAY_S)
        self._last_now = now
        self.urls: dict[str, str | None] = {}
        self.chain = ChainWorker()
        self.settler = Settler(self.clock, self.engine, self.catalogue, self.ledger,
                               self.chain, on_change=self.publish)
        self.onramp_paused = False

    # ---- accounts (the faucet) -------------------------------------------------------
    @staticmethod
    def _faucet_args(w: dict[str, Any], startup: bool) -> tuple[str, int, int, bool | None]:
        address = str(w["address"])
        if not is_hex_address(address):
            raise ValueError(f"bad address {address!r}")
        pusd = to_micro(str(w.get("collateral", "0")))
        usdc = to_micro(str(w.get("usdc", "0")))
        if pusd < 0 or usdc < 0:
            raise ValueError("amounts must not be negative")
        approved = bool(w["approved"]) if "approved" in w else None
        if startup and approved is False:
            approved = None  # nothing to revoke on a fresh chain
        return address, pusd, usdc, approved

    def _fund_one(self, address: str, pusd: int, usdc: int, approved: bool | None
                  ) -> WalletState:
        self.chain.chain.fund(address, pusd, usdc, approved)
        known = sorted(self.ledger.wallet(address).token_ids())
        return self.chain.chain.read_wallet(address, known)

    def fund(self, wallets: list[dict[str, Any]]) -> None:
        """At start-up (no event loop yet): mint pUSD / USDC.e on the chain and, when
        `approved` is true, set every trading approval; then read the wallet back."""
        for w in wallets:
            args = self._faucet_args(w, startup=True)
            self.ledger.apply_chain(args[0], self.chain.call_sync(self._fund_one, *args))

    async def fund_async(self, wallets: list[dict[str, Any]]) -> None:
        """`POST /_sim/accounts`: the same, on the chain thread; `approved` false revokes."""
        todo = [self._faucet_args(w, startup=False) for w in wallets]
        for args in todo:
            self.ledger.apply_chain(args[0], await self.chain.call(self._fund_one, *args))

    async def refresh_wallet(self, address: str, token_ids: list[str]) -> None:
        """Re-read a wallet from the chain (`/balance-allowance/update`, first contact)."""
        known = sorted(set(token_ids) | self.ledger.wallet(address).token_ids())
        state = await self.chain.call(self.chain.chain.read_wallet, address, known)
        self.ledger.apply_chain(address, state)

    def _set_onramp_paused(self, paused: bool) -> None:
        self.chain.chain.admin_call(COLLATERAL_ONRAMP, "setPaused", USDC_E, paused)
        self.onramp_paused = paused

    async def sync_chain_faults(self) -> None:
        """Apply the chain-side faults (the Onramp pause) after a faults update."""
        if self.faults.onramp_paused != self.onramp_paused:
            await self.chain.call(self._set_onramp_paused, self.faults.onramp_paused)

    def close(self) -> None:
        self.chain.close()

    # ---- books ---------------------------------------------------------------------
    def market_of(self, token_id: str) -> Market | None:
        return self.catalogue.by_token.get(token_id)

    def book_of(self, token_id: str) -> dict[str, Any] | None:
        m = self.market_of(token_id)
        if m is None:
            return None
        lt = self.last_trade.get(token_id)
        return book_json(m, self.engine.book(m.condition_id), token_id, self.clock.now_ms(),
                         fmt(lt[0]) if lt else "")

    def book_messages(self, assets: list[str]) -> list[dict[str, Any]]:
        out = []
        for a in assets:
            b = self.book_of(a)
            if b is not None:
                # The WS snapshot (captured) carries tick_size but not these two.
                del b["min_order_size"], b["neg_risk"]
                b["event_type"] = "book"
                out.append(b)
        return out

    def best_prices(self, token_id: str) -> tuple[int | None, int | None]:
        m = self.market_of(token_id)
        if m is None:
            return None, None
        book = self.engine.book(m.condition_id)
        bb, ba = book.best_bid(), book.best_ask()
        if m.token_index(token_id) == 0:
            return bb, ba
        return (None if ba is None else ONE - ba), (None if bb is None else ONE - bb)

    # ---- loop ----------------------------------------------------------------------
    async def run(self) -> None:
        while True:
            self.step()
            await asyncio.sleep(TICK_REAL_S)

    def step(self) -> None:
        now = self.clock.now()
        self.catalogue.step_reference(now - self._last_now)
        self._last_now = now
        opened, _closed, resolved = self.catalogue.roll(now)
        for m in opened:
            self._new_market(m)
        for m in resolved:
            self.engine.resolve(m, now)
            self._resolved(m)
        self.catalogue.update_fair(now)
        self.engine.trade_fail_probability = self.faults.trade_fail
        if self.flow is not None:
            self.flow.step(now)
        self.engine.advance(now)
        self._check_heartbeats()
        self._tick_sizes()
        day = int(now // DAY_S)
        if day != self.rebate_day:
            self.engine.pay_rebates(time.strftime("%Y-%m-%d", time.gmtime(self.rebate_day
                                                                          * DAY_S)))
            self.rebate_day = day
        self.publish()

    def _check_heartbeats(self) -> None:
        t = time.monotonic()
        for key, hb in list(self.heartbeats.items()):
            if t - hb.last_ok > self.heartbeat_timeout_s:
                del self.heartbeats[key]
                self.engine.cancel_where(key)

    def _tick_sizes(self) -> None:
        """Like the venue, move a 0.01 market to 0.001 when it trades near 0 or 1."""
        for m in self.catalogue.markets.values():
            if m.tick != Decimal("0.01") or m.state.value != "open":
                continue
            bb, ba = self.best_prices(m.token_ids[0])
            if (bb is not None and bb > 960_000) or (ba is not None and ba < 40_000):
                old = fmt_tick(m)
                m.tick = Decimal("0.001")
                ts = str(self.clock.now_ms())
                for tok in m.token_ids:
                    self.hub.market_msg([tok], {
                        "event_type": "tick_size_change", "market": m.condition_id,
                        "asset_id": tok, "old_tick_size": old, "new_tick_size": fmt_tick(m),
                        "timestamp": ts})

    def _new_market(self, m: Market) -> None:
        self.hub.market_msg(list(m.token_ids), {
            "event_type": "new_market", "id": m.gamma_id, "question": m.question,
            "market": m.condition_id, "slug": m.slug, "description": m.description,
            "assets_ids": list(m.token_ids), "outcomes": list(m.outcomes),
            "event_message": {"id": m.event_id,
                              "ticker": self.catalogue.event_meta[m.event_id]["slug"],
                              "slug": self.catalogue.event_meta[m.event_id]["slug"],
                              "title": self.catalogue.event_meta[m.event_id]["title"],
                              "description": m.description},
            "timestamp": str(self.clock.now_ms()), "tags": list(m.tags),
            "condition_id": m.condition_id, "active": True,
            "clob_token_ids": list(m.token_ids), "sports_market_type": "", "line": "",
            "game_start_time": "", "order_price_min_tick_size": fmt_tick(m),
            "group_item_title": m.group_item_title}, custom=True)

    def _resolved(self, m: Market) -> None:
        if m.winner is None:
            return
        self.hub.market_msg(list(m.token_ids), {
            "event_type": "market_resolved", "id": m.gamma_id, "market": m.condition_id,
            "assets_ids": list(m.token_ids), "winning_asset_id": m.token_ids[m.winner],
            "winning_outcome": m.outcomes[m.winner], "timestamp": str(self.clock.now_ms()),
            "tags": list(m.tags)}, custom=True)

    # ---- publication ---------------------------------------------------------------
    def publish(self) -> None:
        events = self.engine.drain()
        touched: set[str] = set()
        for ev in events:
            self._publish(ev, touched)
        for cond in touched:
            m = self.catalogue.markets[cond]
            self.hub.market_msg(list(m.token_ids), self.book_messages(list(m.token_ids))[0])
            self.hub.market_msg(list(m.token_ids), self.book_messages(list(m.token_ids))[1])

    def _publish(self, ev: Event, touched: set[str]) -> None:
        m = self.catalogue.markets[ev.market]
        ts = self.clock.now_ms()
        if ev.kind == "book":
            changes = []
            for buys_yes, yes_price in ev.data["levels"]:
                size = self.engine.book(m.condition_id).level_size(buys_yes, yes_price)
                for idx, tok in enumerate(m.token_ids):
                    price = yes_price if idx == 0 else ONE - yes_price
                    side = "BUY" if buys_yes == (idx == 0) else "SELL"
                    bb, ba = self.best_prices(tok)
                    changes.append({"asset_id": tok, "price": fmt(price), "size": fmt(size),
                                    "side": side, "hash": change_hash(tok, str(price),
                                                                      str(size), str(ts)),
                                    "best_bid": fmt(bb) if bb is not None else "0",
                                    "best_ask": fmt(ba) if ba is not None else "1"})
            self.hub.market_msg(list(m.token_ids), {
                "market": m.condition_id, "price_changes": changes, "timestamp": str(ts),
                "event_type": "price_change"})
            self._best_bid_ask(m, ts)
        elif ev.kind == "last_trade":
            t = ev.data["trade"]
            self.last_trade[t.taker.token_id] = (t.taker_price, t.taker.side)
            other = m.token_ids[1 - t.taker.outcome_index]
            self.last_trade[other] = (ONE - t.taker_price,
                                      "SELL" if t.taker.side == "BUY" else "BUY")
            self.hub.market_msg(list(m.token_ids), {
                "asset_id": t.taker.token_id, "event_type": "last_trade_price",
                "fee_rate_bps": str(t.fee_rate_bps), "market": m.condition_id,
                "price": fmt(t.taker_price), "side": t.taker.side, "size": fmt(t.size),
                "timestamp": str(ts)})
            touched.add(m.condition_id)
        elif ev.kind == "order":
            o = ev.data["order"]
            if not o.house:
                self.hub.user_msg(o.owner, m.condition_id,
                                  ws_order_json(o, ev.data["type"], ev.data["status"], ts))
        elif ev.kind == "trade":
            t = ev.data["trade"]
            for leg in (t.taker, t.maker):
                if not leg.house:
                    self.hub.user_msg(leg.owner, m.condition_id, ws_trade_json(t, leg.owner, ts))
            if t.status == "MATCHED":
                for leg in (t.taker, t.maker):
                    if not leg.house:
                        acct = self.stats.account(leg.maker_address)
                        acct["fills"] += 1
                        if leg is t.taker:
                            acct["fees"] += t.fee

    def _best_bid_ask(self, m: Market, ts: int) -> None:
        for tok in m.token_ids:
            bb, ba = self.best_prices(tok)
            if self.best.get(tok) == (bb, ba):
                continue
            self.best[tok] = (bb, ba)
            if bb is None or ba is None:
                continue
            self.hub.market_msg([tok], {
                "event_type": "best_bid_ask", "market": m.condition_id, "asset_id": tok,
                "best_bid": fmt(bb), "best_ask": fmt(ba), "spread": fmt(ba - bb),
                "timestamp": str(ts)}, custom=True)

    def stats_json(self) -> dict[str, Any]:
        e = self.engine
        fills = len(e.trades)
        return {
            "sim_time": self.clock.now(),
            "speed": self.clock.speed,
            "orders": {"received": self.stats.received, "accepted": self.stats.accepted,
                       "rejected": sum(self.stats.rejected.values()),
                       "rejected_by_reason": dict(self.stats.rejected)},
            "fills": fills,
            "fees": {"total": fmt(sum(e.fees_by_market.values())),
                     "by_market": {k: fmt(v) for k, v in e.fees_by_market.items()}},
            "rebates": {"paid_total": fmt(sum(e.rebates_paid.values())),
                        "by_maker": {k: fmt(v) for k, v in e.rebates_paid.items()}},
            "accounts": {a: dict(v, fees=fmt(v["fees"])) for a, v in
                         self.stats.per_account.items()},
            "balances": {a: {"collateral": fmt(w.available_collateral), "usdc": fmt(w.usdc),
                             "approved": w.approved,
                             "tokens": {t: fmt(w.available_tokens(t))
                                        for t in sorted(w.token_ids())
                                        if w.available_tokens(t)}}
                         for a, w in self.ledger.wallets.items()},
            "chain": {"block": self.settler.head,
                      "raw_transactions": self.chain.chain.raw_tx_count,
                      "raw_transactions_refused": self.chain.chain.raw_tx_refused,
                      "settled": self.settler.counters.settled,
                      "reverted": self.settler.counters.reverted,
                      "failed": self.settler.counters.failed,
                      "redeemed": self.settler.counters.redeemed,
                      "rebate_payouts": self.settler.counters.payouts,
                      "queued": len(self.settler.jobs),
                      "confirming": len(self.settler.confirming)},
            "open_orders": len(e.open_orders()),
            "markets": {"open": sum(1 for m in self.catalogue.markets.values()
                                    if m.state.value == "open"),
                        "resolved": sum(1 for m in self.catalogue.markets.values()
                                        if m.state.value == "resolved")},
            "ws_messages_sent": dict(self.hub.sent),
            "faults": self.faults.as_dict(),
        }


def sha1_hex(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()
