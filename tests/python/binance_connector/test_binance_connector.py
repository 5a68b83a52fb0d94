"""The Binance connector end to end: the trader binary (or the connector driver) against the
Binance simulator, over real HTTP and WebSockets, with the simulator's admin hooks as the
only way to make things happen at the venue."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from bn_e2e import (
    ED_KEY,
    HMAC_KEY,
    Sim,
    best,
    bids_above,
    make_config,
    our_order,
    quote,
    run_driver,
    start_sim,
    start_trader,
    wait_for,
)

from trader.ipc import TraderClient

BTC = "BTCUSDT"


@pytest.fixture
def quiet_sim(tmp_path: Path) -> Iterator[Sim]:
    """No background flow: the seeded ladder stays put; fills only when a test trades."""
    sim = start_sim(tmp_path, "--seed", "5", "--no-flow")
    yield sim
    sim.stop()


def sell_into_our_bid(sim: Sim, px: Decimal, qty: Decimal) -> dict[str, object]:
    """A background seller that eats every better bid, then qty of ours at px."""
    total = bids_above(sim, BTC, px) + qty
    result: dict[str, object] = sim.admin("trade", {"symbol": BTC, "side": "SELL",
                                                     "quantity": str(total), "price": str(px)})
    return result


@pytest.mark.parametrize("key", ["hmac", "ed25519"])
def test_order_life_new_partial_fill_cancel(tmp_path: Path, quiet_sim: Sim, key: str) -> None:
    cfg, env = make_config(tmp_path, quiet_sim, key=key)
    trader = start_trader(tmp_path, cfg, env)
    try:
        trader.wait_active()
        # new: the quoter's post-only bid is acknowledged by the venue (it has an order id)
        bid = wait_for(lambda: our_order(trader, "buy"), 15, "acknowledged bid")
        assert Decimal(bid["qty"]) == Decimal("0.0001")
        account = HMAC_KEY if key == "hmac" else ED_KEY
        venue_open = quiet_sim.signed("GET", "/api/v3/openOrders", {"symbol": BTC})
        if key == "hmac":
            assert any(str(o["orderId"]) == bid["voi"] and o["type"] == "LIMIT_MAKER"
                       for o in venue_open)
        # partial fill
        px = Decimal(bid["px"])
        sell_into_our_bid(quiet_sim, px, Decimal("0.00004"))
        wait_for(lambda: trader.position(BTC) == Decimal("0.00004"), 15, "partial fill booked")
        # the rest
        sell_into_our_bid(quiet_sim, px, Decimal("0.00006"))
        wait_for(lambda: trader.position(BTC) == Decimal("0.0001"), 15, "full fill booked")
        fills = trader.wait_log(rf"order fill res={bid['res']} venue=binance", count=2)
        assert len(fills) == 2
        tids = {re.search(r"tid=(\S+)", f).group(1) for f in fills}  # type: ignore[union-attr]
        assert len(tids) == 2 and all(t.startswith("BTCUSDT:") for t in tids)
        per_account = quiet_sim.stats()["engine"]["per_account"][account]
        assert per_account["fills"] >= 2
        # fees are visible in the PnL (0.1 % taken in BTC on a buy, counted in USDT)
        status = trader.ctl("status")
        assert Decimal(str(status["pnl_usd"]["fees"])) > 0
        # cancel: a kill cancels every open order at the venue
        trader.ctl("kill", "e2e")
        trader.wait_log(r"order cancel res=\d+ venue=binance")
        wait_for(lambda: not trader.orders(), 10, "no open orders")
        if key == "hmac":
            wait_for(lambda: not quiet_sim.signed("GET", "/api/v3/openOrders", {"symbol": BTC}),
                     10, "nothing open at the venue")
    finally:
        assert trader.stop() == 0, trader.text()[-3000:]
    assert "ERROR: AddressSanitizer" not in trader.text()


def test_bad_signature_is_a_clear_error(tmp_path: Path, quiet_sim: Sim) -> None:
    cfg, env = make_config(tmp_path, quiet_sim, key="not-the-secret")
    trader = start_trader(tmp_path, cfg, env)
    try:
        line = trader.wait_log(r"binance auth_failed")[0]
        assert "-1022" in line and "Signature for this request is not valid." in line
        assert trader.binance_state() == ("HALTED", "DOWN")
        assert quiet_sim.stats()["engine"]["orders_received"] == 0
    finally:
        assert trader.stop() == 0


def test_stale_timestamp_rejected_then_clock_resynced(tmp_path: Path, quiet_sim: Sim) -> None:
    # tolerance 0: every move of the mid makes the quoter replace its orders
    cfg, env = make_config(tmp_path, quiet_sim, quotes=[
        quote(BTC, "0.0001", "0.0002", tolerance_bps=0, min_requote_ms=0)])
    trader = start_trader(tmp_path, cfg, env)
    try:
        trader.wait_active()
        wait_for(lambda: our_order(trader, "sell"), 15, "acknowledged ask")
        # the venue's clock jumps 20 s ahead: our timestamps are now outside recvWindow
        quiet_sim.admin("faults", {"time_skew_ms": 20000})
        _, ask = best(quiet_sim, BTC)
        quiet_sim.admin("trade", {"symbol": BTC, "side": "BUY", "quantity": "0.01",
                                  "price": str(ask + Decimal("5"))})
        line = trader.wait_log(r"binance timestamp_rejected")[0]
        assert "-1021" in line and "recvWindow" in line
        # the connector re-measures the venue's clock and carries on
        offsets = trader.wait_log(r"binance server_time offset_ms=(1|2)\d{4}\b")
        assert offsets
        # the cancels that failed went out again once the clock was right
        trader.wait_log(r"order cancel res=\d+ venue=binance")
        # and new orders (placed on the next move of the book) are accepted
        _, ask = best(quiet_sim, BTC)
        quiet_sim.admin("trade", {"symbol": BTC, "side": "BUY", "quantity": "0.01",
                                  "price": str(ask + Decimal("5"))})
        wait_for(lambda: any(o["voi"] for o in trader.orders()), 15, "orders acknowledged again")
    finally:
        assert trader.stop() == 0


def test_filter_failure_caught_before_sending(tmp_path: Path, quiet_sim: Sim) -> None:
    # the config is looser than the venue (no minimum notional), so only the exchange's NOTIONAL
    # filter (5 USDT) can refuse 0.00005 BTC (~3 USDT)
    cfg, env = make_config(tmp_path, quiet_sim, btc_min_notional="0",
                           quotes=[quote(BTC, "0.00005", "0.0001")])
    trader = start_trader(tmp_path, cfg, env)
    try:
        trader.wait_active()
        line = trader.wait_log(r"order reject res=\d+ venue=binance")[0]
        assert "Filter failure: NOTIONAL" in line and "checked before sending" in line
        stats = quiet_sim.stats()["engine"]
        assert stats["orders_received"] == 0 and not stats["rejected"]
    finally:
        assert trader.stop() == 0


def test_risk_blocks_oversized_order_before_the_wire(tmp_path: Path, quiet_sim: Sim) -> None:
    # 0.01 BTC is ~650 USD: far over the micro profile's 10 USD per market
    cfg, env = make_config(tmp_path, quiet_sim, quotes=[quote(BTC, "0.01", "0.02")])
    trader = start_trader(tmp_path, cfg, env)
    try:
        trader.wait_active()
        line = trader.wait_log(r"risk reject venue=binance sym=BTCUSDT")[0]
        assert "code=" in line
        assert quiet_sim.stats()["engine"]["orders_received"] == 0
        assert not trader.orders()
    finally:
        assert trader.stop() == 0


def test_post_only_rejection(tmp_path: Path, quiet_sim: Sim) -> None:
    cfg, env = make_config(tmp_path, quiet_sim, quotes=[])
    _, ask = best(quiet_sim, BTC)
    events = run_driver(tmp_path, cfg, env, BTC, "BUY", str(ask), "0.0001", "post_only")
    reports = [e for e in events if e["event"] == "report"]
    assert [r["kind"] for r in reports] == ["reject"]
    assert "-2010" in reports[0]["reason"]
    assert "Order would immediately match and take." in reports[0]["reason"]
    assert quiet_sim.stats()["engine"]["rejected"].get("-2010") == 1


def test_depth_gap_resyncs_and_reconciles(tmp_path: Path, quiet_sim: Sim) -> None:
    cfg, env = make_config(tmp_path, quiet_sim)
    trader = start_trader(tmp_path, cfg, env)
    try:
        trader.wait_active()
        synced = len(trader.wait_log(r"binance book_synced symbol=BTCUSDT"))
        quiet_sim.admin("faults", {"skip_depth": 1})
        # book changes until one diff after the skipped one reaches the trader (changes within
        # one 100 ms window merge into one diff, so keep going until the gap shows)
        for _ in range(20):
            quiet_sim.admin("trade", {"symbol": BTC, "side": "BUY", "quantity": "0.001"})
            try:
                trader.wait_log(r"binance depth_gap", timeout=0.5)
                break
            except AssertionError:
                continue
        trader.wait_log(r"binance depth_gap symbol=BTCUSDT")
        trader.wait_log(r"venue connection venue=binance state=DOWN reason=\"depth sequence gap")
        trader.wait_log(r"binance book_synced symbol=BTCUSDT", count=synced + 1)
        trader.wait_log(r"binance reconciled", count=2)
        trader.wait_active()
    finally:
        assert trader.stop() == 0


def test_stream_drop_halts_reconciles_and_books_the_blind_fill_once(
        tmp_path: Path, quiet_sim: Sim) -> None:
    # reconnect after 2 s, so the fill below certainly happens while the stream is down
    cfg, env = make_config(tmp_path, quiet_sim, binance={"reconnect_min_ms": 2000})
    trader = start_trader(tmp_path, cfg, env)
    try:
        trader.wait_active()
        bid = wait_for(lambda: our_order(trader, "buy"), 15, "acknowledged bid")
        # the fill's executionReport is held by a stalled link, then lost with the link
        quiet_sim.admin("faults", {"stall_user": 1})
        sell_into_our_bid(quiet_sim, Decimal(bid["px"]), Decimal("0.0001"))
        quiet_sim.admin("faults", {"drop_user": True})
        trader.wait_log(r"venue connection venue=binance state=DOWN reason=\"user data stream")
        trader.wait_log(rf"binance fills_from_rest res={bid['res']} fills=1")
        assert f"fill res={bid['res']}" in trader.text()
        trader.wait_log(r"binance reconciled", count=2)
        trader.wait_active()
        assert trader.position(BTC) == Decimal("0.0001")
        fills = [ln for ln in trader.text().splitlines()
                 if re.search(rf"order fill res={bid['res']} ", ln)]
        assert len(fills) == 1, fills
    finally:
        assert trader.stop() == 0


def test_429_backs_off_for_retry_after(tmp_path: Path, quiet_sim: Sim) -> None:
    cfg, env = make_config(tmp_path, quiet_sim)
    trader = start_trader(tmp_path, cfg, env)
    try:
        trader.wait_active()
        # the next request is answered 429 with Retry-After: 2; dropping the market stream
        # makes that request the resync's depth snapshot
        quiet_sim.admin("faults", {"rate_limit_next": 1, "retry_after": 2})
        quiet_sim.admin("faults", {"drop_market": True})
        line = trader.wait_log(r"binance rate_limited status=429")[0]
        assert "retry_after_s=2" in line and "action=backoff" in line
        trader.wait_log(r"binance reconciled", count=2, timeout=20)
        trader.wait_active()
        rest = quiet_sim.stats()["rest"]
        assert rest["responses_429"] == 1 and rest["responses_418"] == 0
    finally:
        assert trader.stop() == 0


def test_silent_socket_is_dropped_and_reconnected(tmp_path: Path, quiet_sim: Sim) -> None:
    # a frozen venue process: TCP stays up, nothing answers, not even pongs
    cfg, env = make_config(tmp_path, quiet_sim,
                           binance={"ws_ping_ms": 300, "ws_timeout_ms": 1500})
    trader = start_trader(tmp_path, cfg, env)
    try:
        trader.wait_active()
        time.sleep(1.0)   # longer than ws_ping_ms: pongs, not data, keep a quiet socket alive
        assert "stream_silent" not in trader.text()
        os.kill(quiet_sim.proc.pid, signal.SIGSTOP)
        try:
            trader.wait_log(r"binance stream_silent stream=(market|api)")
            trader.wait_log(r"venue connection venue=binance state=DOWN")
        finally:
            os.kill(quiet_sim.proc.pid, signal.SIGCONT)
        trader.wait_log(r"binance reconciled", count=2, timeout=30)
        trader.wait_active(timeout=30)
    finally:
        assert trader.stop() == 0


def test_restart_adopts_orders_and_books_a_fill_made_while_down(
        tmp_path: Path, quiet_sim: Sim) -> None:
    cfg, env = make_config(tmp_path, quiet_sim)
    trader = start_trader(tmp_path, cfg, env)
    trader.wait_active()
    bid = wait_for(lambda: our_order(trader, "buy"), 15, "acknowledged bid")
    trader.proc.send_signal(signal.SIGKILL)     # nothing cancelled, nothing said
    trader.proc.wait()
    # while the trader is down: half the bid fills, and an order nobody knows appears
    sell_into_our_bid(quiet_sim, Decimal(bid["px"]), Decimal("0.00005"))
    stray = quiet_sim.signed("POST", "/api/v3/order", {
        "symbol": BTC, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
        "quantity": "0.0001", "price": str(Decimal(bid["px"]) - Decimal(50)),
        "newClientOrderId": "stray-1"})
    os.unlink(cfg["ipc"]["socket"])
    trader = start_trader(tmp_path, cfg, env)
    try:
        trader.wait_log(rf"binance adopted res={bid['res']} ")
        trader.wait_log(rf"binance fills_from_rest res={bid['res']} fills=1")
        trader.wait_log(rf"binance unknown_open_order symbol=BTCUSDT order_id={stray['orderId']}")
        trader.wait_active()
        assert trader.position(BTC) == Decimal("0.00005")
        open_ids = {o["orderId"] for o in quiet_sim.signed("GET", "/api/v3/openOrders",
                                                            {"symbol": BTC})}
        assert stray["orderId"] not in open_ids
    finally:
        assert trader.stop() == 0


def test_stalled_market_stream_is_detected_and_resynced(tmp_path: Path, quiet_sim: Sim) -> None:
    # the stream stays open and answers pings but sends no data: only the stall watch sees it
    cfg, env = make_config(tmp_path, quiet_sim, binance={"stall_after_ms": 1000})
    trader = start_trader(tmp_path, cfg, env)
    try:
        trader.wait_active()
        synced = len(trader.wait_log(r"binance book_synced symbol=BTCUSDT"))
        # a quiet book is silent too, and is not a stall: probes find the venue's book unchanged
        time.sleep(2.5)
        assert "market_stalled" not in trader.text()
        assert trader.binance_state() == ("ACTIVE", "UP")
        quiet_sim.admin("faults", {"stall_market": 8})
        # the venue's book moves on (background trades) while its stream holds every diff
        for _ in range(40):
            quiet_sim.admin("trade", {"symbol": BTC, "side": "BUY", "quantity": "0.0005"})
            try:
                trader.wait_log(r"binance market_stalled", timeout=0.5)
                break
            except AssertionError:
                continue
        line = trader.wait_log(r"binance market_stalled symbol=BTCUSDT")[0]
        assert "action=reconnect" in line
        trader.wait_log(r"venue connection venue=binance state=DOWN "
                        r"reason=\"market data stalled on BTCUSDT")
        # once the stream flows again: resubscribed, resynced, reconciled, trading
        trader.wait_log(r"binance book_synced symbol=BTCUSDT", count=synced + 1, timeout=20)
        trader.wait_log(r"binance reconciled", count=2, timeout=20)
        trader.wait_active(timeout=20)
    finally:
        assert trader.stop() == 0, trader.text()[-3000:]
    assert "ERROR: AddressSanitizer" not in trader.text()


async def _close_reservation(sock: str, res: int) -> None:
    """An IPC client reports the order cancelled while it still rests at the venue (a
    misreport): the trader closes the reservation, the connector still knows nothing of it."""
    client = await TraderClient.connect(sock, client="e2e")
    try:
        await client.report(res=res, kind="cancel", ts=time.time_ns(),
                            reason="e2e: closed while still resting")
    finally:
        await client.close()


def venue_position(sim: Sim, exclude_order: int) -> Decimal:
    """Net BTC bought by the account's orders (all but one) according to the venue."""
    net = Decimal(0)
    for t in sim.signed("GET", "/api/v3/myTrades", {"symbol": BTC, "limit": 1000}):
        if t["orderId"] != exclude_order:
            net += Decimal(t["qty"]) if t["isBuyer"] else -Decimal(t["qty"])
    return net


def test_restart_books_a_fill_of_a_closed_reservation_once(
        tmp_path: Path, quiet_sim: Sim) -> None:
    cfg, env = make_config(tmp_path, quiet_sim)
    trader = start_trader(tmp_path, cfg, env)
    trader.wait_active()
    bid = wait_for(lambda: our_order(trader, "buy"), 15, "acknowledged bid")
    ask = wait_for(lambda: our_order(trader, "sell"), 15, "acknowledged ask")
    for o in (bid, ask):
        asyncio.run(_close_reservation(trader.sock, int(o["res"])))
    wait_for(lambda: all(o["res"] not in (bid["res"], ask["res"]) for o in trader.orders()),
             10, "reservations closed")
    # live: the ask fills after its reservation was closed; the connector still knew the order
    ask_px = Decimal(ask["px"])
    ahead = sum((Decimal(q) for p, q in quiet_sim.depth(BTC)["asks"] if Decimal(p) < ask_px),
                Decimal(0))
    quiet_sim.admin("trade", {"symbol": BTC, "side": "BUY",
                              "quantity": str(ahead + Decimal("0.0001")), "price": str(ask_px)})
    line = trader.wait_log(rf"order fill_without_reservation res={ask['res']} ")[0]
    assert "side=sell" in line and "qty=10 " in line
    wait_for(lambda: trader.position(BTC) == Decimal("-0.0001"), 10, "live fill booked")
    trader.proc.send_signal(signal.SIGKILL)
    trader.proc.wait()
    # while the trader is down: the closed order fills, and so does an order that is not ours
    px = Decimal(bid["px"])
    stray = quiet_sim.signed("POST", "/api/v3/order", {
        "symbol": BTC, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
        "quantity": "0.0001", "price": str(px + Decimal("0.01")),
        "newClientOrderId": "stray-2"})
    sell_into_our_bid(quiet_sim, px, Decimal("0.0001"))
    ours = [t for t in quiet_sim.signed("GET", "/api/v3/myTrades", {"symbol": BTC})
            if str(t["orderId"]) == bid["voi"]]
    assert sum(Decimal(t["qty"]) for t in ours) == Decimal("0.0001"), ours
    expected = venue_position(quiet_sim, stray["orderId"])
    os.unlink(cfg["ipc"]["socket"])
    trader = start_trader(tmp_path, cfg, env)
    try:
        trader.wait_log(rf"binance sweep_order symbol=BTCUSDT order_id={bid['voi']} "
                        r"cid=q\S+ owner=trader")
        trader.wait_log(rf"binance foreign_trade symbol=BTCUSDT order_id={stray['orderId']} ")
        trader.wait_active()
        assert trader.position(BTC) == expected
        tids = [f"BTCUSDT:{t['id']}" for t in ours]
        orphan = [ln for ln in trader.text().splitlines()
                  if "fill_without_reservation res=0 " in ln]
        assert len(orphan) == len(tids) and all(any(t in ln for ln in orphan) for t in tids)
        # another gap and reconcile: nothing booked twice
        quiet_sim.admin("faults", {"drop_user": True})
        trader.wait_log(r"binance reconciled", count=2, timeout=20)
        trader.wait_active()
        assert trader.position(BTC) == expected
    finally:
        assert trader.stop() == 0, trader.text()[-3000:]
    # the journal replays the fill of the closed reservation into the same position
    if os.path.exists(cfg["ipc"]["socket"]):
        os.unlink(cfg["ipc"]["socket"])
    trader = start_trader(tmp_path, cfg, env)
    try:
        trader.wait_active()
        assert trader.position(BTC) == expected
        orphan = [ln for ln in trader.text().splitlines() if "fill_without_reservation" in ln]
        assert len(orphan) == len(tids) + 1, orphan     # the live one, the swept one(s)
        assert "venue_report_unmatched" not in trader.text()
    finally:
        assert trader.stop() == 0, trader.text()[-3000:]
    assert "ERROR: AddressSanitizer" not in trader.text()
