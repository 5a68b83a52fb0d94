"""The gateway process: wiring of discovery, market data, user channel, risk bridge,
strategy, execution, records and the control socket, for one of three modes.

Blocks: quoting runs only while nothing blocks it. A block is any of: trader not usable
(gone, silent, not ACTIVE), the kill file, a lost or silent market/user channel, a
reconciliation in progress, an operator stop. Gaining a block cancels every order at once
(one DELETE /cancel-all in live mode); losing the last block lets the strategy quote again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import aiohttp

from gateway.book import Book
from gateway.clock import Clock
from gateway.config import ApiCreds, Config, Mode, Secret
from gateway.control import ControlServer
from gateway.discovery import ConfigSelector, MarketInfo, MarketSelector, scan
from gateway.execution import Executor, OrderSpec
from gateway.metrics import Metrics
from gateway.mm.config import MMConfig
from gateway.mm.fees import expected_rebate
from gateway.mm.reconcile import MAX_POST_ONLY_RETRIES, post_only_retry
from gateway.mm.strategy import MarketMaker
from gateway.mm.types import DesiredOrder as MMDesired
from gateway.mmrun import MMDriver, fees_of
from gateway.orders import Fill, Tracked
from gateway.paper import PaperFill, PaperVenue
from gateway.records import Recorder, ns_to_dt
from gateway.rest import PrivateClob, PublicClob, VenueError
from gateway.riskbridge import TraderLink
from gateway.screenjob import (
    MarketStatsBook,
    ScreenedSelector,
    overrides_of,
    run_screener,
    screener_params,
)
from gateway.strategy import MicroQuoter, Strategy, StrategyState
from gateway.venue import DryRunVenue, LiveVenue, OrderVenue
from gateway.wschannel import WsChannel
from trader import protocol as p

log = logging.getLogger("gateway")
RISK_BACKOFF_NS = 1_000_000_000


class _Stopped(Exception):
    pass


class Gateway:
    def __init__(self, cfg: Config, mode: Mode, *, key: Secret | None = None,
                 creds: ApiCreds | None = None, selector: MarketSelector | None = None,
                 strategy: Strategy | None = None) -> None:
        self.cfg = cfg
        self.mode = mode
        self._key = key
        self._creds = creds
        self.clock = Clock(cfg.timing.speed)
        self.strategy: Strategy = strategy or MicroQuoter()
        # the market maker (strategy.kind = "mm") and what it learns from the gateway
        self.mm: MarketMaker | None = None
        self.driver: MMDriver | None = None
        if strategy is None and cfg.strategy.kind == "mm":
            self.mm = MarketMaker(MMConfig().with_overrides(cfg.strategy.mm))
            self.driver = MMDriver(self.mm, cfg.strategy.bankroll)
        self.stats = MarketStatsBook()
        self.follower: Any = None          # control.screener.ConfigFollower when configured
        self.screened: dict[str, int] = {}  # market -> applied screener config version
        self.alerts: list[dict[str, str]] = []
        self.screener_runs = 0
        sc = cfg.screener
        if sc.redis_url and sc.follow:
            from control.screener import ConfigFollower  # noqa: PLC0415 - needs redis

            self.follower = ConfigFollower(sc.redis_url, on_alert=self._screener_alert)
        self.selector = selector or (ScreenedSelector(cfg.discovery, self._screened_enabled)
                                     if self.follower is not None
                                     else ConfigSelector(cfg.discovery))
        self.discovered: list[MarketInfo] = []
        self.watching: dict[str, MarketInfo] = {}   # unquoted but held: until resolution
        self.metrics = Metrics()
        self.markets: dict[str, MarketInfo] = {}       # quoted markets by condition id
        self.token_market: dict[str, MarketInfo] = {}
        self.books: dict[str, Book] = {}
        self.blocks: dict[str, str] = {"startup": "starting"}
        self.trader = TraderLink(cfg.trader, self._trader_changed)
        self.trader.release_orphans = mode in ("paper", "dry-run")
        # rows carry wall-clock times; a fast-forwarded venue clock is kept beside them
        self.recorder = Recorder(cfg.records.dsn, cfg.records.jsonl,
                                 self.clock.now_ns if self.clock.fast else None)
        self.trader.allow_reducing = self.mm is not None
        self.trader.on_event = self._trader_event
        self.trader.on_refprice = self._trader_refprice
        self.public: PublicClob | None = None
        self.private: PrivateClob | None = None
        self.venue: OrderVenue | None = None
        self.exec: Executor | None = None
        self.market_ws: WsChannel | None = None
        self.user_ws: WsChannel | None = None
        self._tg: asyncio.TaskGroup | None = None
        self._dirty = asyncio.Event()
        self._dirty_origin_ns = 0
        self._stop = asyncio.Event()
        self._marks_sent: set[str] = set()
        self.heartbeat_id = ""
        self.heartbeats_ok = 0
        self.heartbeat_error = ""
        self.started_s = time.time()
        self.resyncs = 0
        self.last_scan_s = 0.0
        self.address = ""
        self._resync_at: dict[str, float] = {}
        self._venue_best: dict[str, tuple[str, str]] = {}
        self._verify_pending: set[str] = set()
        self.on_secret: Callable[[str], None] = lambda _s: None
        self.rebates = Decimal(0)
        self.fills_by_level: dict[int, int] = {}
        self.mm_cycles = 0

    # ---- tasks -----------------------------------------------------------------------
    def spawn(self, coro: Any) -> None:
        if self._tg is None:
            coro.close()
            return
        self._tg.create_task(coro)

    def request_stop(self, why: str = "stop requested") -> None:
        log.info("stopping: %s", why)
        self._stop.set()

    # ---- blocks ----------------------------------------------------------------------
    def blocked(self) -> str | None:
        ok, why = self.trader.usable()
        if not ok:
            return why
        if self.blocks:
            return "; ".join(f"{k}: {v}" for k, v in sorted(self.blocks.items()))
        return None

    def block(self, key: str, reason: str) -> None:
        new = key not in self.blocks
        self.blocks[key] = reason
        if new:
            log.warning("quoting blocked by %s: %s", key, reason)
            self._cancel_all(f"{key}: {reason}")

    def unblock(self, key: str) -> None:
        if self.blocks.pop(key, None) is not None:
            log.info("block %s lifted%s", key, "" if self.blocked() else "; quoting resumes")
            self._mark_dirty(0)

    def _cancel_all(self, reason: str) -> None:
        if self.exec is not None:
            self.spawn(self.exec.cancel_everything(reason))

    def _trader_changed(self, why: str) -> None:
        ok, reason = self.trader.usable()
        if not ok:
            if "trader" not in self.blocks:
                self.blocks["trader"] = reason
                log.warning("quoting blocked: %s", reason)
                self._cancel_all(reason)
            else:
                self.blocks["trader"] = reason
        elif "trader" in self.blocks:
            self._marks_sent.clear()     # a restarted trader may have no marks
            for tok in list(self.books):
                self._send_mark(tok)
            self.unblock("trader")
        else:
            self._mark_dirty(0)          # e.g. REDUCING: the market maker re-plans

    def _trader_event(self, ev: p.Event) -> None:
        if ev.kind in ("position_stop", "limit_breach", "kill"):
            self.recorder.alert(ev.kind, "warning", ev.reason)
            self._note_alert(ev.kind, ev.reason)
        if self.driver is not None and self.driver.on_trader_event(ev.kind, ev.reason):
            self._mark_dirty(0)

    def _trader_refprice(self, r: p.RefPrice) -> None:
        if self.driver is not None:
            # stamped on arrival in the gateway's clock (the strategy's time domain)
            self.driver.on_ref(r.sym, r.px, self.clock.now_ns())

    def _note_alert(self, kind: str, text: str) -> None:
        self.alerts.append({"kind": kind, "text": text[:300]})
        del self.alerts[:-50]

    # ---- screener configs ------------------------------------------------------------
    def _screener_alert(self, kind: str, text: str) -> None:
        self._note_alert(kind, text)
        self.recorder.alert(f"screener_{kind}", "info" if kind == "redis_up" else "warning",
                            text)

    def _screened_enabled(self, market: str) -> bool | None:
        c = self.follower.get(market) if self.follower is not None else None
        return None if c is None else bool(c.enabled)

    async def _follow_loop(self) -> None:
        """Apply each new valid screener config to the market maker (the follower keeps the
        last valid one per market; an invalid one changes nothing)."""
        assert self.follower is not None
        while True:
            await asyncio.sleep(0.1)
            changed = False
            for market, c in list(self.follower.configs.items()):
                if self.screened.get(market) == c.version:
                    continue
                self.screened[market] = c.version
                changed = True
                if self.mm is not None:
                    self.mm.set_market_config(market, overrides_of(c))
                log.info("screener config v%d for %s: enabled=%s size=%s max_spread=%s",
                         c.version, market[:12], c.enabled, c.order_size, c.max_spread)
            if changed:
                await self._apply_selection(self.selector.select(self.discovered,
                                                                 self.clock.now_s()))
                self._mark_dirty(0)

    async def _screener_loop(self) -> None:
        sc = self.cfg.screener
        params = screener_params(sc.params)
        mmcfg = self.mm.config if self.mm is not None else MMConfig()
        while True:
            await asyncio.sleep(self.clock.real_s(sc.period_s))
            if not self.discovered:
                continue
            try:
                await run_screener(sc.redis_url, self.discovered, self.stats, params=params,
                                   mm=mmcfg, now_ns=self.clock.now_ns())
                self.screener_runs += 1
            except (OSError, ConnectionError, TimeoutError) as exc:
                log.error("screener run failed: %s", exc)
            except Exception as exc:   # redis errors too: the next run retries
                log.error("screener run failed: %s", exc)

    # ---- lookups ---------------------------------------------------------------------
    def market_of_token(self, token: str) -> MarketInfo | None:
        return self.token_market.get(token)

    def tick_of(self, token: str) -> Decimal:
        b = self.books.get(token)
        if b is not None:
            return b.tick
        m = self.token_market.get(token)
        return m.tick if m is not None else Decimal("0.01")

    # ---- run -------------------------------------------------------------------------
    async def run(self) -> int:
        trace = aiohttp.TraceConfig()
        trace.on_request_headers_sent.append(self._on_headers_sent)
        timeout = aiohttp.ClientTimeout(total=self.cfg.timing.http_timeout_s)
        async with aiohttp.ClientSession(timeout=timeout, trace_configs=[trace]) as session:
            await self._build(session)
            await self.recorder.open()
            control = ControlServer(self.cfg.control.socket, self.control)
            try:
                async with asyncio.TaskGroup() as tg:
                    self._tg = tg
                    tg.create_task(self.trader.run())
                    tg.create_task(self.recorder.run())
                    tg.create_task(control.serve())
                    tg.create_task(self._discovery_loop())
                    assert self.market_ws is not None
                    tg.create_task(self.market_ws.run())
                    if self.user_ws is not None:
                        self.block("user_ws", "connecting")
                        tg.create_task(self.user_ws.run())
                        tg.create_task(self._heartbeat_loop())
                    tg.create_task(self._quote_loop())
                    tg.create_task(self._marks_loop())
                    tg.create_task(self._books_loop())
                    tg.create_task(self._kill_file_loop())
                    tg.create_task(self._reconcile_loop())
                    if self.follower is not None:
                        tg.create_task(self.follower.run())
                        tg.create_task(self._follow_loop())
                    if self.cfg.screener.run:
                        tg.create_task(self._screener_loop())
                    await self._stop.wait()
                    await self._shutdown()
                    raise _Stopped
            except* _Stopped:
                pass
            finally:
                self._tg = None
                if isinstance(self.venue, LiveVenue):
                    await self.venue.close()   # stops the signing process
                control.close()
                await self.recorder.close()
                await self.trader.close()
        return 0

    async def _build(self, session: aiohttp.ClientSession) -> None:
        cfg = self.cfg
        v = cfg.venue
        if self.mode == "live":
            # only here: a signer and a client that can send orders
            from gateway.wallet import (  # noqa: PLC0415 - never imported in other modes
                SigningPool,
                address_of,
                create_or_derive_creds,
            )

            assert self._key is not None, "live mode needs the wallet key"
            if self._creds is None:
                self._creds = await create_or_derive_creds(session, v.clob_url, self._key,
                                                           v.chain_id, cfg.wallet.nonce)
                log.info("API credentials derived with L1 (kept in memory)")
            self.on_secret(self._creds.secret.reveal())
            self.on_secret(self._creds.passphrase.reveal())
            self.address = address_of(self._key, v.chain_id)
            self.private = PrivateClob(session, v.clob_url, v.gamma_url, self.address,
                                       self._creds)
            self.public = self.private
            # order signing runs in its own process (pure-Python EIP-712, ~13 ms an order):
            # the event loop never waits for the GIL behind a signature
            signer = SigningPool(cfg, self._key, self._creds)
            await signer.start()
            self.venue = LiveVenue(self.private, signer, self.metrics.sign.add)
            creds = self._creds
            self.user_ws = WsChannel(
                session, v.ws_user_url, "user",
                subscribe=lambda: {"type": "user", "auth": {
                    "apiKey": creds.api_key, "secret": creds.secret.reveal(),
                    "passphrase": creds.passphrase.reveal()}},
                on_message=self._on_user, on_up=self._user_up, on_down=self._user_down,
                ping_s=cfg.timing.ws_ping_s, silent_s=cfg.timing.ws_silent_s)
        else:
            self.public = PublicClob(session, v.clob_url, v.gamma_url)
            if self.mode == "paper":
                self.venue = PaperVenue(self.books, self.market_of_token, self._on_paper_fill,
                                        self._on_paper_closed, self.clock.now_ns)
            else:
                self.venue = DryRunVenue()
        self.market_ws = WsChannel(
            session, v.ws_market_url, "market",
            subscribe=lambda: {"type": "market", "assets_ids": sorted(self.books),
                               "custom_feature_enabled": True},
            on_message=self._on_market, on_up=self._market_up, on_down=self._market_down,
            ping_s=cfg.timing.ws_ping_s, silent_s=cfg.timing.ws_silent_s)
        self.exec = Executor(venue=self.venue, trader=self.trader, recorder=self.recorder,
                             market_of_token=self.market_of_token, tick_of=self.tick_of,
                             blocked=self.blocked, spawn=self.spawn, metrics=self.metrics,
                             dry_run=self.mode == "dry-run", now_ns=self.clock.now_ns)
        self.exec.on_fill_reported = self._fill_reported
        if self.driver is not None:
            self.exec.retry = self._post_only_retry
            self.exec.orders.on_change = self._inventory_changed

    async def _on_headers_sent(self, session: Any, ctx: SimpleNamespace, params: Any) -> None:
        trc = ctx.trace_request_ctx
        if isinstance(trc, dict) and trc.get("origin_ns"):
            self.metrics.tick_to_cancel.add(time.perf_counter_ns() - int(trc["origin_ns"]))

    async def _shutdown(self) -> None:
        self.blocks["stop"] = "shutting down"
        if self.exec is not None:
            await self.exec.cancel_everything("gateway stopping")
            # let the cancels' reports reach trader, then flush the records
            await self.trader.drain_reports(2.0)
        await self.recorder.flush()

    # ---- discovery -------------------------------------------------------------------
    async def _discovery_loop(self) -> None:
        assert self.public is not None
        while True:
            try:
                found = await scan(self.public)
                if self.clock.fast and not self.clock.synced and found:
                    # a fast-forwarded simulator: its clock is the one in its books' timestamps
                    snap = await self.public.book(found[0].tokens[0])
                    self.clock.sync(int(str(snap["timestamp"])) / 1000)
                    log.info("clock: venue time x%g, now %s", self.clock.speed,
                             ns_to_dt(self.clock.now_ns()).isoformat())
                self.discovered = found
                await self._apply_selection(self.selector.select(found, self.clock.now_s()))
                self.last_scan_s = time.time()
                self.blocks.pop("startup", None)
                self._mark_dirty(0)
            except (VenueError, aiohttp.ClientError, OSError, TimeoutError) as exc:
                log.error("discovery failed: %s", exc)
            await asyncio.sleep(self.clock.real_s(self.cfg.discovery.rescan_s))

    async def _apply_selection(self, chosen: list[MarketInfo]) -> None:
        want = {m.condition_id: m for m in chosen}
        if self.mm is not None and self.exec is not None:
            # a market still held stays with the market maker (its exits, its closing guard)
            # until it stops accepting orders; only then is it watched until it resolves
            inv = self.exec.orders.inventory
            fresh = {m.condition_id: m for m in self.discovered}
            for cid, m in self.markets.items():
                cur = fresh.get(cid, m)
                if cid not in want and cur.accepting and any(inv.get(t) for t in m.tokens):
                    want[cid] = cur
        for cid in [c for c in self.markets if c not in want]:
            await self._drop_market(self.markets[cid])
        for cid, m in want.items():
            if cid in self.watching:
                continue         # dropped while held: stays unquoted until it resolves
            if cid not in self.markets:
                await self._add_market(m)
            else:
                self.markets[cid] = m
                for t in m.tokens:
                    self.token_market[t] = m

    async def _add_market(self, m: MarketInfo) -> None:
        for tok in m.tokens:
            inst = p.Instrument(id=0, venue="polymarket", sym=tok, kind="binary",
                                market=m.condition_id, complement=m.complement(tok),
                                tick=m.tick, lot=Decimal("0.01"), min_qty=m.min_size,
                                min_notional=Decimal(0), quote_ccy="USDC", usd_rate=Decimal(1))
            try:
                await self.trader.register(inst)
            except Exception as exc:
                log.error("market %s not quoted: trader refused its instrument: %s",
                          m.slug, exc)
                return
        self.markets[m.condition_id] = m
        for tok in m.tokens:
            self.token_market[tok] = m
            self.books[tok] = Book(tok, m.condition_id, m.tick)
        log.info("quoting market %s (%s) tick %s min %s fees %s", m.slug, m.condition_id[:12],
                 m.tick, m.min_size, m.fee_rate if m.fees_enabled else "none")
        if self.market_ws is not None:
            await self.market_ws.send({"operation": "subscribe", "assets_ids": list(m.tokens),
                                       "custom_feature_enabled": True})

    async def _drop_market(self, m: MarketInfo) -> None:
        log.info("dropping market %s", m.slug)
        self.markets.pop(m.condition_id, None)
        if self.exec is not None:
            self.exec.cancel([o for o in self.exec.orders.active() if o.market == m.condition_id])
            if any(self.exec.orders.inventory.get(t) for t in m.tokens):
                # still held: keep its books, marks and the market channel until it resolves,
                # so trader values the position and learns the resolution
                log.info("still holding %s: watching it until it resolves", m.slug)
                self.watching[m.condition_id] = m
                return
        await self._unsubscribe(m)

    async def _unsubscribe(self, m: MarketInfo) -> None:
        self.watching.pop(m.condition_id, None)
        if self.market_ws is not None:
            await self.market_ws.send({"operation": "unsubscribe", "assets_ids": list(m.tokens)})
        for tok in m.tokens:
            self.books.pop(tok, None)

    # ---- market channel --------------------------------------------------------------
    async def _market_up(self) -> None:
        for b in self.books.values():
            b.synced = False
        self.unblock("market_ws")

    def _market_down(self, reason: str) -> None:
        for b in self.books.values():
            b.synced = False
        self.block("market_ws", reason)

    def _mark_dirty(self, origin_ns: int) -> None:
        if not self._dirty.is_set():
            self._dirty_origin_ns = origin_ns
            self._dirty.set()

    def _on_market(self, msg: dict[str, Any]) -> None:
        t0 = time.perf_counter_ns()
        try:
            self._market_event(msg, t0)
        except (KeyError, ValueError, TypeError, ArithmeticError) as exc:
            log.warning("bad market message (%s): resyncing", exc)
            for tok in msg.get("assets_ids") or [msg.get("asset_id")]:
                if isinstance(tok, str):
                    self._resync(tok)

    def _market_event(self, msg: dict[str, Any], t0: int) -> None:
        et = msg.get("event_type")
        if self.driver is not None:
            tok0 = msg.get("asset_id") or next(
                (c.get("asset_id") for c in msg.get("price_changes") or [] if isinstance(c, dict)),
                None)
            m0 = self.token_market.get(str(tok0)) if tok0 is not None else None
            if m0 is not None:
                self.driver.on_data(m0.condition_id, self.clock.now_ns())
        paper = self.venue if isinstance(self.venue, PaperVenue) else None
        if et == "book":
            tok = str(msg["asset_id"])
            book = self.books.get(tok)
            if book is None:
                return
            book.snapshot(msg)
            if paper is not None:
                paper.on_snapshot(tok)
            self._book_changed(tok, t0)
        elif et == "price_change":
            touched: dict[str, tuple[str, str]] = {}
            for ch in msg.get("price_changes") or []:
                tok = str(ch["asset_id"])
                book = self.books.get(tok)
                if book is None:
                    continue
                if not book.synced:
                    self._resync(tok)
                    continue
                px, sz, side = Decimal(str(ch["price"])), Decimal(str(ch["size"])), ch["side"]
                book.apply(side, px, sz)
                if paper is not None:
                    paper.on_level(tok, side, px, sz)
                touched[tok] = (str(ch.get("best_bid", "")), str(ch.get("best_ask", "")))
            for tok, (rbb, rba) in touched.items():
                book = self.books[tok]
                if paper is not None:
                    paper.on_book(tok)
                if book.crossed():
                    self._resync(tok)
                    continue
                if rbb and rba:
                    self._venue_best[tok] = (rbb, rba)
                    if self._best_differs(tok) and tok not in self._verify_pending:
                        # the venue's best differs from ours: a doubt. One message may be
                        # ahead of the next (which completes it): verify a moment later.
                        self._verify_pending.add(tok)
                        self.spawn(self._verify_best(tok))
                self._book_changed(tok, t0)
        elif et == "tick_size_change":
            tok = str(msg["asset_id"])
            book = self.books.get(tok)
            if book is not None:
                book.tick = Decimal(str(msg["new_tick_size"]))
                log.info("tick size of %s: %s -> %s", tok[:12], msg.get("old_tick_size"),
                         book.tick)
                self.spawn(self._retick(tok, book.tick))
                self._book_changed(tok, t0)
        elif et == "last_trade_price":
            tok = str(msg["asset_id"])
            px, sz = Decimal(str(msg["price"])), Decimal(str(msg["size"]))
            m = self.token_market.get(tok)
            if m is not None:
                now = self.clock.now_ns()
                self.stats.on_trade(m.condition_id, now, px * sz)
                if self.driver is not None:
                    self.driver.on_trade(m, tok, taker_side=str(msg["side"]), price=px, size=sz,
                                         now_ns=now)
            if paper is not None:
                paper.on_trade(tok, str(msg["side"]), px, sz)
        elif et == "market_resolved":
            self.spawn(self._resolved(msg))

    def _best_differs(self, tok: str) -> bool:
        book, vb = self.books.get(tok), self._venue_best.get(tok)
        if book is None or vb is None:
            return False
        bb, ba = book.best()
        return _ne(bb, vb[0], "0") or _ne(ba, vb[1], "1")

    async def _verify_best(self, tok: str) -> None:
        await asyncio.sleep(0.2)
        self._verify_pending.discard(tok)
        if self._best_differs(tok):
            log.warning("book of %s disagrees with the venue's best: resyncing", tok[:12])
            self._resync(tok)

    def _book_changed(self, tok: str, t0: int) -> None:
        m = self.token_market.get(tok)
        if m is not None and tok == m.tokens[0]:
            b = self.books.get(tok)
            if b is not None and b.synced:
                bb, ba = b.best()
                self.stats.on_book(m.condition_id, self.clock.now_ns(),
                                   ba - bb if bb is not None and ba is not None else None,
                                   b.mid())
        if m is not None and m.condition_id in self.markets:
            if tok not in self._marks_sent:
                self._send_mark(tok)
            self._mark_dirty(t0)

    def _resync(self, tok: str) -> None:
        """Doubt about a book: fetch a fresh snapshot (at most once a second per token)."""
        now = time.monotonic()
        if now - self._resync_at.get(tok, 0.0) < 1.0:
            return
        self._resync_at[tok] = now
        self.resyncs += 1
        self.spawn(self._fetch_book(tok))

    async def _fetch_book(self, tok: str) -> None:
        assert self.public is not None
        try:
            snap = await self.public.book(tok)
        except (VenueError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("book resync of %s failed: %s", tok[:12], exc)
            return
        book = self.books.get(tok)
        if book is not None:
            book.snapshot(snap)
            if isinstance(self.venue, PaperVenue):
                self.venue.on_snapshot(tok)
            self._book_changed(tok, time.perf_counter_ns())

    async def _retick(self, tok: str, tick: Decimal) -> None:
        m = self.token_market.get(tok)
        if m is None:
            return
        inst = self.trader.instruments.get(tok)
        if inst is not None and inst.tick != tick:
            try:
                await self.trader.register(p.Instrument(**{
                    **{k: getattr(inst, k) for k in p.message_fields(p.Instrument)},
                    "tick": tick}))
            except Exception as exc:
                log.warning("trader kept the old tick for %s: %s", tok[:12], exc)

    async def _resolved(self, msg: dict[str, Any]) -> None:
        winner = str(msg.get("winning_asset_id", ""))
        toks = [str(t) for t in msg.get("assets_ids") or []]
        m = self.token_market.get(toks[0]) if toks else None
        if m is not None and self.exec is not None:
            # the venue cancels resting orders at resolution (paper: so do we)
            mine = [o for o in self.exec.orders.active() if o.market == m.condition_id]
            if isinstance(self.venue, PaperVenue):
                for o in mine:
                    if o.voi and self.venue.orders.pop(o.voi, None) is not None:
                        self.exec.venue_closed(o, "cancel", "CANCELED_MARKET_RESOLVED")
            if self.driver is not None:
                self.driver.on_resolved(m.condition_id)
        for tok in toks:
            if tok in self.trader.instruments:
                self.recorder.resolved(tok, tok == winner)
                await self.trader.resolve(tok, Decimal(1 if tok == winner else 0))
            if self.exec is not None and tok in self.exec.orders.inventory:
                self.exec.orders.inventory[tok] = Decimal(0)    # redeemed at resolution
        if m is not None and m.condition_id in self.watching:
            await self._unsubscribe(m)

    def _send_mark(self, tok: str) -> bool:
        """Mark = the book's mid (trader values positions and collars orders with it)."""
        book = self.books.get(tok)
        mid = book.mid() if book is not None and book.synced else None
        c = self.trader.client
        if mid is None or c is None or c.gone:
            return False
        self.trader.mark(tok, mid.quantize(Decimal("0.0001")))
        self._marks_sent.add(tok)
        return True

    async def _marks_loop(self) -> None:
        while True:
            await asyncio.sleep(self.cfg.timing.mark_interval_s)
            fresh = [tok for tok in list(self.books)
                     if tok not in self._marks_sent and self._send_mark(tok)]
            for tok in self.books:
                if tok in self._marks_sent:
                    self._send_mark(tok)
            if fresh:
                self._mark_dirty(0)

    async def _books_loop(self) -> None:
        while True:
            await asyncio.sleep(self.clock.real_s(self.cfg.records.book_snapshot_s))
            for tok, b in list(self.books.items()):
                if b.synced:
                    bids, asks = b.top(20)
                    self.recorder.book(tok, bids, asks)

    # ---- user channel (live) ---------------------------------------------------------
    async def _user_up(self) -> None:
        # reconcile before quoting again: what filled or closed while we were blind
        self.block("reconcile", "after user channel (re)connect")
        try:
            await self._reconcile(first=self.user_ws is not None and
                                  self.user_ws.reconnects == 0)
        finally:
            self.unblock("user_ws")
        self.unblock("reconcile")

    def _user_down(self, reason: str) -> None:
        self.block("user_ws", reason)

    def _on_user(self, msg: dict[str, Any]) -> None:
        if self.exec is None:
            return
        try:
            if msg.get("event_type") == "trade":
                self.exec.on_trade_event(msg)
            elif msg.get("event_type") == "order":
                self.exec.on_order_event(msg)
        except (KeyError, ValueError, TypeError, ArithmeticError) as exc:
            log.error("bad user message (%s): reconciling", exc)
            self.exec.needs_reconcile = True

    async def _reconcile(self, first: bool) -> None:
        assert self.private is not None and self.exec is not None and self.venue is not None
        for attempt in range(5):
            try:
                opened = await self.private.open_orders()
                trades = await self.private.trades()
                break
            except (VenueError, aiohttp.ClientError, OSError, TimeoutError) as exc:
                log.error("reconciliation failed (%s), retrying", exc)
                await asyncio.sleep(0.5 * (attempt + 1))
        else:
            return
        orphans = self.exec.reconcile(opened, trades, first)
        if orphans:
            log.warning("cancelling %d venue orders we do not know", len(orphans))
            try:
                await self.venue.cancel(orphans)
            except (VenueError, aiohttp.ClientError, OSError, TimeoutError) as exc:
                log.error("orphan cancel failed: %s", exc)
        log.info("reconciled: %d open at venue, %d trades seen", len(opened), len(trades))

    async def _reconcile_loop(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            if self.exec is not None and self.exec.needs_reconcile and self.private is not None \
                    and self.user_ws is not None and self.user_ws.connected:
                await self._reconcile(first=False)

    async def _heartbeat_loop(self) -> None:
        """The venue's dead-man switch: if we stop, it cancels our orders within 10 s."""
        assert self.private is not None
        while True:
            try:
                self.heartbeat_id = await self.private.heartbeat(self.heartbeat_id)
                self.heartbeats_ok += 1
                self.heartbeat_error = ""
            except (VenueError, aiohttp.ClientError, OSError, TimeoutError) as exc:
                self.heartbeat_error = str(exc)
                log.error("order heartbeat failed: %s", exc)
            await asyncio.sleep(self.cfg.timing.order_heartbeat_s)

    # ---- kill file ---------------------------------------------------------------------
    async def _kill_file_loop(self) -> None:
        path = self.cfg.control.kill_file
        if not path:
            return
        while True:
            if os.path.exists(path):  # noqa: ASYNC240 - one stat, microseconds
                self.block("kill_file", f"{path} exists")
            elif "kill_file" in self.blocks:
                self.unblock("kill_file")
            await asyncio.sleep(0.1)

    # ---- paper fills -----------------------------------------------------------------
    def _on_paper_closed(self, voi: str, reason: str) -> None:
        o = self.exec.orders.by_voi.get(voi) if self.exec is not None else None
        if o is not None and self.exec is not None:
            self.exec.venue_closed(o, "expire", reason)
            self._mark_dirty(0)

    def _fill_reported(self, o: Tracked, f: Fill) -> None:
        """A fill booked with trader: in paper mode also the maker rebate the venue would pay
        (rebate rate x the taker fee on our maker volume, mm.fees.expected_rebate)."""
        m = self.token_market.get(o.token)
        if self.mode != "paper" or m is None or f.liquidity != "maker" or not m.fees_enabled:
            return
        amount = expected_rebate(f.qty, f.price, fees_of(m))
        if amount > 0:
            self.rebates += amount
            self.recorder.rebate(o.token, amount, f.ts_ns)

    def _inventory_changed(self, o: Tracked, f: Fill, sign: int) -> None:
        m = self.token_market.get(o.token)
        if self.driver is not None and m is not None:
            self.driver.on_fill(m, o.token, side=o.side, qty=f.qty, price=f.price,
                                now_ns=self.clock.now_ns(), sign=sign)
            if sign > 0 and o.level >= 0:
                self.fills_by_level[o.level] = self.fills_by_level.get(o.level, 0) + 1

    def _post_only_retry(self, o: Tracked, meta: Any) -> tuple[OrderSpec, Any] | None:
        if not isinstance(meta, MMDesired) or o.retries >= MAX_POST_ONLY_RETRIES:
            return None
        nxt = post_only_retry(meta, o.retries, self.tick_of(o.token))
        if nxt is None:
            return None
        return (OrderSpec(o.market, o.token, nxt.side, nxt.price, nxt.size, True, "GTC",
                          nxt.level, o.retries + 1), nxt)

    def _on_paper_fill(self, f: PaperFill) -> None:
        if self.exec is not None:
            self.exec.on_paper_fill(voi=f.voi, trade_id=f.trade_id, px=f.price, qty=f.qty,
                                    fee=f.fee, liq=f.liquidity, ts_ns=f.ts_ns)
            self._mark_dirty(0)

    # ---- quoting -----------------------------------------------------------------------
    async def _quote_loop(self) -> None:
        q = self.cfg.quote
        while True:
            await self._dirty.wait()
            origin = self._dirty_origin_ns
            self._dirty.clear()
            if self.blocked() is not None or self.exec is None:
                continue
            if self.driver is not None:
                self._quote_mm(origin)
                await asyncio.sleep(0)
                continue
            state = StrategyState(now_s=time.time(), markets=dict(self.markets),
                                  books=self.books, inventory=self.exec.orders.inventory,
                                  config=q, refprices=self.trader.refprices)
            desired = self.strategy.desired_orders(state)
            now = time.monotonic_ns()
            for cid, m in self.markets.items():
                mine = [d for d in desired if d.market == cid]
                ready = all(t in self._marks_sent for t in m.tokens if self.books[t].synced)
                recent = now - self.exec.last_place_ns.get(cid, 0) < q.requote_ms * 1_000_000
                self.exec.sync(cid, mine, q.tolerance_ticks, origin,
                               allow_place=ready and not recent)
                if recent:
                    self.spawn(self._redirty(q.requote_ms / 1000))
            await asyncio.sleep(0)

    def _quote_mm(self, origin: int) -> None:
        """One market-maker cycle: state -> desired orders -> per-market reconcile plan ->
        cancels at once, placements after them (trader checks every one)."""
        assert self.driver is not None and self.mm is not None and self.exec is not None
        ex = self.exec
        now = self.clock.now_ns()
        resting = {cid: ex.orders.resting(cid) for cid in self.markets}
        state = self.driver.state(self.markets, self.books, resting, now,
                                  reduce_all=self.trader.reducing, tick_of=self._quote_tick)
        desired = self.mm.desired_orders(state)
        plans = self.driver.plan(state, desired)
        self.mm_cycles += 1
        requote = self.cfg.quote.requote_ms * 1_000_000
        mono = time.monotonic_ns()
        for cid, plan in plans.items():
            m = self.markets[cid]
            by_cid = {o.cid: o for o in resting.get(cid, [])}
            cancels = [by_cid[r.order_id] for r in plan.cancels if r.order_id in by_cid]
            if cancels:
                self.mm.on_cancels(cid, len(cancels), now)
            ready = all(t in self._marks_sent for t in m.tokens if self.books[t].synced)
            recent = mono - ex.last_place_ns.get(cid, 0) < requote
            # trader just refused an order here: give it a second before asking again
            recent = recent or mono - ex.risk_reject_ns.get(cid, -RISK_BACKOFF_NS) < \
                RISK_BACKOFF_NS
            specs: list[tuple[OrderSpec, Any]] = []
            if ready and not recent:
                taking = any(o.order_type != "GTC" for o in ex.orders.active()
                             if o.market == cid)
                for d in plan.places:
                    if not d.post_only and taking:
                        continue        # one taker exit at a time: never sell twice
                    specs.append((OrderSpec(cid, d.token_id, d.side, d.price, d.size,
                                            d.post_only, "GTC" if d.post_only else "FAK",
                                            d.level), d))
            elif plan.places and recent:
                self.spawn(self._redirty(self.cfg.quote.requote_ms / 1000))
            if cancels or specs:
                ex.apply_plan(cid, cancels, specs, origin)

    def _quote_tick(self, tok: str) -> Decimal:
        """The tick to quote on: the coarser of the book's and the one trader registered the
        instrument with (trader keeps its first tick: a re-registration with a new tick is
        answered ok but not applied, see the report of issue 7/11). A coarser grid is still
        on the venue's finer one."""
        m = self.token_market.get(tok)
        tick = self.tick_of(tok)
        return max(tick, m.tick) if m is not None else tick

    async def _redirty(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self._mark_dirty(0)

    # ---- control ---------------------------------------------------------------------
    async def control(self, cmd: str) -> dict[str, Any]:
        if cmd == "status":
            return await self.status()
        if cmd == "report":
            return self.report()
        if cmd == "stop":
            self.request_stop("operator stop")
            return {"ok": True, "stopping": True}
        if cmd == "metrics":
            return self.metrics.summary()
        return {"error": f"unknown command {cmd!r}"}

    async def status(self) -> dict[str, Any]:
        ex = self.exec
        orders = [] if ex is None else [
            {"cid": o.cid, "res": o.res, "voi": o.voi, "token": o.token, "side": o.side,
             "price": str(o.price), "size": str(o.size), "matched": str(o.matched),
             "state": o.state} for o in ex.orders.active()]
        positions = {} if ex is None else {t: str(q) for t, q in ex.orders.inventory.items() if q}
        trader_status = await self.trader.query("status") if self.trader.usable()[0] else {}
        return {
            "mode": self.mode, "pid": os.getpid(), "uptime_s": round(time.time() - self.started_s),
            "state": "QUOTING" if self.blocked() is None else "BLOCKED",
            "blocked": self.blocked(),
            "markets": [{"condition_id": m.condition_id, "slug": m.slug,
                         "tokens": list(m.tokens), "tick": str(self.tick_of(m.tokens[0])),
                         "best": [str(x) if x is not None else None
                                  for x in self.books[m.tokens[0]].best()]
                         if m.tokens[0] in self.books else None}
                        for m in self.markets.values()],
            "open_orders": orders, "positions": positions,
            "pnl": trader_status.get("pnl") if isinstance(trader_status, dict) else None,
            "trader": {"connected": self.trader.usable()[0] or bool(self.trader.states),
                       "states": dict(self.trader.states), "connects": self.trader.connects,
                       "reports_pending": self.trader.reports_pending},
            "connections": {
                "market_ws": bool(self.market_ws and self.market_ws.connected),
                "user_ws": None if self.user_ws is None else self.user_ws.connected,
                "user_ws_reconnects": None if self.user_ws is None else self.user_ws.reconnects,
                "heartbeats_ok": self.heartbeats_ok, "heartbeat_error": self.heartbeat_error,
                "rate_limited": self.public.rate_limited if self.public else 0},
            "counters": {} if ex is None else {
                "fills": ex.orders.fills_total, "venue_rejects": ex.rejects,
                "risk_rejects": ex.checks_rejected, "last_reject": ex.last_reject,
                "resyncs": self.resyncs,
                "dry_run_would_send": len(self.venue.would_send)
                if isinstance(self.venue, DryRunVenue) else None},
            "records": {"backend": self.recorder.backend, "written": self.recorder.written,
                        "errors": self.recorder.errors},
            "strategy": self._strategy_status(),
            "alerts": list(self.alerts),
            "metrics": self.metrics.summary(),
        }

    def _strategy_status(self) -> dict[str, Any]:
        if self.mm is None:
            return {"kind": "builtin"}
        markets = {}
        for cid in self.markets:
            c = self.mm.config_for(cid)
            d = self.mm.decisions.get(cid)
            markets[cid] = {"enabled": c.enabled, "fixed_size": str(c.fixed_size),
                            "max_spread": str(c.max_spread), "levels": c.levels,
                            "min_net_edge": str(c.min_net_edge), "sizing": c.sizing,
                            "screener_version": self.screened.get(cid),
                            "decision": f"{d.action}:{d.reason}" if d else None}
        return {"kind": "mm", "cycles": self.mm_cycles, "markets": markets,
                "watching": list(self.watching), "stopped": list(self.driver.stopped)
                if self.driver else [],
                "post_only_retries": self.exec.post_only_retries if self.exec else 0,
                "fills_by_level": {str(k): v for k, v in sorted(self.fills_by_level.items())},
                "rebates": str(self.rebates), "screener_runs": self.screener_runs}

    def report(self) -> dict[str, Any]:
        ex = self.exec
        if ex is None:
            return {}
        rebate_weight = self.venue.maker_fee_equiv if isinstance(self.venue, PaperVenue) \
            else Decimal(0)
        by_liq: dict[str, Decimal] = {}
        for o in ex.orders.by_cid.values():
            for f in o.fills.values():
                if f.status != "FAILED":
                    by_liq[f.liquidity] = by_liq.get(f.liquidity, Decimal(0)) + f.qty
        return {"mode": self.mode, "fills": ex.orders.fills_total,
                "volume_usdc": str(ex.orders.volume), "fees_usdc": str(ex.orders.fees),
                "shares_by_liquidity": {k: str(v) for k, v in by_liq.items()},
                "maker_fee_equivalent": str(rebate_weight),
                "inventory": {t: str(q) for t, q in ex.orders.inventory.items() if q},
                "orders_total": len(ex.orders.by_cid),
                "rebates_usdc": str(self.rebates),
                "fills_by_level": {str(k): v for k, v in sorted(self.fills_by_level.items())}}


def _ne(ours: Decimal | None, theirs: str, empty: str) -> bool:
    """Our best price differs from the venue's (which says `empty` for no level)."""
    with contextlib.suppress(ArithmeticError):
        if ours is None:
            return Decimal(theirs) != Decimal(empty)
        return ours != Decimal(theirs)
    return True
