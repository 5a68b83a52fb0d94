"""The trader binary quoting EUR.USD on the TWS simulator through the C connector: trading
states follow the connection (disconnect and 1100 -> HALTED, reconcile -> ACTIVE), fills
booked once, everything cancelled at stop."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ib_async import IB, Contract, Forex, LimitOrder, MarketOrder
from ibkr_e2e import TRADER_BIN, Sim, config, start_sim, start_trader, wait_for


@pytest.fixture
def sim() -> Iterator[Sim]:
    s = start_sim()
    yield s
    s.stop()


def test_quotes_reconnects_and_books_fills_once(tmp_path: Path, sim: Sim) -> None:
    trader = start_trader(tmp_path, config(tmp_path, sim))
    try:
        wait_for(lambda: trader.state() == "ACTIVE", what="ibkr ACTIVE")
        # the C quoter rests a bid and an ask on EUR.USD at the simulator
        wait_for(lambda: sim.stats()["orders_open"] >= 2, what="two quotes resting")
        assert sim.stats()["sessions"] == [17]

        # a dropped connection halts the venue; after reconnect + reconcile it trades again
        sim.fault({"disconnect": True})
        wait_for(lambda: trader.state() == "HALTED", what="HALTED after disconnect")
        wait_for(lambda: trader.state() == "ACTIVE", what="ACTIVE after reconcile")
        assert sim.stats()["connections_total"] >= 2

        # TWS losing IB (1100) halts; 1102 reconciles and resumes on the same socket
        connections = sim.stats()["connections_total"]
        sim.fault({"connectivity_cycle": {"down_s": 1.0}})
        wait_for(lambda: trader.state() == "HALTED", what="HALTED on 1100")
        wait_for(lambda: trader.state() == "ACTIVE", what="ACTIVE after 1102")
        assert sim.stats()["connections_total"] == connections

        # fill whatever rests, while the trader is disconnected: booked exactly once
        wait_for(lambda: sim.stats()["orders_open"] >= 1, what="a quote resting")
        sim.fault({"disconnect": True})
        filled = sim.fault({"fill_resting": True})["done"]["fill_resting"]
        wait_for(lambda: trader.state() == "ACTIVE", what="ACTIVE after the dark fill")
        fills_at_sim = sim.stats()["fills"]
        assert fills_at_sim >= 1

        def booked() -> Decimal:
            positions = trader.ctl("positions")
            rows = positions.get("positions", positions)
            return sum((abs(Decimal(str(p["qty"]))) for p in rows
                        if p.get("sym") == "EUR.USD"), Decimal(0))

        # every simulated fill is one quote of 5 EUR; the net position is at most that many
        wait_for(lambda: "fill" in trader.log.read_text(), what="fill logged")
        log = trader.log.read_text()
        fill_lines = [line for line in log.splitlines() if " order fill " in line]
        assert len(fill_lines) == fills_at_sim, (filled, fills_at_sim, fill_lines)
        assert "duplicate_fill" not in log
        assert booked() <= Decimal(5) * fills_at_sim
        # reconcile compared TWS's positions with the trader's book: they agree
        assert "position_mismatch" not in log
    finally:
        rc = trader.stop()
    assert rc == 0, trader.log.read_text()[-3000:]
    # stopping cancels what the trader had open
    wait_for(lambda: sim.stats()["orders_open"] == 0, what="quotes cancelled at stop")
    log = trader.log.read_text()
    assert "decode_failed" not in log
    assert "pacing_violation" not in log


def test_bad_ibkr_section_names_the_key(tmp_path: Path, sim: Sim) -> None:
    cfg = config(tmp_path, sim)
    cfg["venues"]["ibkr"]["max_msgs_per_s"] = 60
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(cfg))
    out = subprocess.run([str(TRADER_BIN), "--mode", "paper", "--exchange", "ibkr", "--config",
                          str(path)], capture_output=True, timeout=20, check=False)
    assert out.returncode != 0
    assert "venues.ibkr.max_msgs_per_s" in out.stderr.decode()
    # --check-config validates the connector's section too, and touches no venue
    checked = subprocess.run([str(TRADER_BIN), "--check-config", "--exchange", "ibkr",
                              "--config", str(path)], capture_output=True, timeout=20,
                             check=False)
    assert checked.returncode == 1, checked
    assert "venues.ibkr.max_msgs_per_s" in checked.stderr.decode()
    good = tmp_path / "good.json"
    good.write_text(json.dumps(config(tmp_path, sim)))
    ok = subprocess.run([str(TRADER_BIN), "--check-config", "--exchange", "ibkr", "--config",
                         str(good)], capture_output=True, timeout=20, check=False)
    assert ok.returncode == 0 and b"config ok" in ok.stdout, ok


def test_position_the_trader_did_not_make_is_flagged(tmp_path: Path, sim: Sim) -> None:
    """A trade made on the account by someone else (here ib_async as another client):
    the next reconcile finds TWS's position differs from the trader's book and says so
    (an event and an error line), without overwriting the book."""
    async def outside_trade() -> None:
        ib = IB()
        await ib.connectAsync(sim.host, sim.port, clientId=77, timeout=10)
        try:
            [eurusd] = await ib.qualifyContractsAsync(Forex("EURUSD"))
            assert isinstance(eurusd, Contract)
            trade = ib.placeOrder(eurusd, MarketOrder("BUY", 20000))
            for _ in range(500):
                if trade.orderStatus.status == "Filled":
                    break
                await asyncio.sleep(0.02)
            assert trade.orderStatus.status == "Filled", trade.orderStatus
        finally:
            ib.disconnect()

    cfg = config(tmp_path, sim)
    cfg["strategy"]["enabled"] = False
    trader = start_trader(tmp_path, cfg)
    try:
        wait_for(lambda: trader.state() == "ACTIVE", what="ibkr ACTIVE")
        asyncio.run(outside_trade())
        sim.fault({"disconnect": True})
        wait_for(lambda: "position_mismatch" in trader.log.read_text(),
                 what="position mismatch reported")
        line = next(x for x in trader.log.read_text().splitlines() if "position_mismatch" in x)
        assert "sym=EUR.USD" in line and "venue says 20000" in line, line
        wait_for(lambda: trader.state() == "ACTIVE", what="ACTIVE after reconcile")
        # the book is the journal's, not the venue's
        rows = trader.ctl("positions").get("positions", [])
        assert all(Decimal(str(p["qty"])) == 0 for p in rows if p.get("sym") == "EUR.USD"), rows
    finally:
        assert trader.stop() == 0


def test_kill9_restart_books_the_dark_fill_once_and_cancels_the_unknown_order(
        tmp_path: Path, sim: Sim) -> None:
    """kill -9 with quotes resting at TWS; while the trader is down one quote is cancelled,
    the other fills (fill_resting) and an order the journal never saw appears under the
    trader's client id. On restart: the journal replays, adopt hands the open orders over,
    the reconcile books the fill once, releases the cancelled one and cancels the stranger."""

    cfg = config(tmp_path, sim)
    client_id = int(cfg["venues"]["ibkr"]["client_id"])

    async def as_the_trader(cancel_bid: bool, stray: bool) -> int:
        ib = IB()
        await ib.connectAsync(sim.host, sim.port, clientId=client_id, timeout=10)
        try:
            await ib.reqOpenOrdersAsync()
            if cancel_bid:
                bids = [t for t in ib.openTrades() if t.order.action == "BUY"]
                assert len(bids) == 1, ib.openTrades()
                ib.cancelOrder(bids[0].order)
                for _ in range(250):
                    if bids[0].orderStatus.status == "Cancelled":
                        break
                    await asyncio.sleep(0.02)
                assert bids[0].orderStatus.status == "Cancelled", bids[0].orderStatus
            order_id = 0
            if stray:
                [eurusd] = await ib.qualifyContractsAsync(Forex("EURUSD"))
                assert isinstance(eurusd, Contract)
                trade = ib.placeOrder(eurusd, LimitOrder("BUY", 20000, 0.5))
                for _ in range(250):
                    if trade.orderStatus.status in ("Submitted", "PreSubmitted"):
                        break
                    await asyncio.sleep(0.02)
                order_id = trade.order.orderId
            return order_id
        finally:
            ib.disconnect()

    trader = start_trader(tmp_path, cfg)
    wait_for(lambda: trader.state() == "ACTIVE", what="ibkr ACTIVE")
    wait_for(lambda: sim.stats()["orders_open"] >= 2, what="two quotes resting")
    def acked() -> list[dict[str, Any]]:
        rows = [o for o in trader.ctl("orders")["orders"] if o["voi"]]
        return rows if len(rows) == 2 else []

    ask = next(o for o in wait_for(acked, what="both quotes acknowledged")
               if o["side"] == "sell")
    trader.proc.send_signal(signal.SIGKILL)
    trader.proc.wait()

    asyncio.run(as_the_trader(cancel_bid=True, stray=False))
    fills_before = sim.stats()["fills"]
    assert sim.fault({"fill_resting": True})["done"]["fill_resting"] == 1
    assert sim.stats()["fills"] == fills_before + 1
    stray_id = asyncio.run(as_the_trader(cancel_bid=False, stray=True))
    assert stray_id > 0
    open_before = sim.stats()["orders_open"]
    assert open_before == 1    # the stray only

    os.unlink(cfg["ipc"]["socket"])
    trader = start_trader(tmp_path, cfg)
    try:
        wait_for(lambda: "adopt res=" in trader.log.read_text(), what="orders adopted")
        wait_for(lambda: f"unknown_order_cancel order_id={stray_id} " in trader.log.read_text(),
                 what="stranger cancelled")
        wait_for(lambda: trader.state() == "ACTIVE", what="ACTIVE after reconcile")
        log = trader.log.read_text()
        restart = log[log.rindex("journal replayed"):]
        fills = [ln for ln in restart.splitlines()
                 if re.search(rf" order fill res={ask['res']} ", ln)]
        assert len(fills) == 1, fills
        assert "duplicate_fill" not in restart
        assert re.search(r" order cancel res=\d+ venue=ibkr", restart)
        rows = trader.ctl("positions").get("positions", [])
        eur = sum((Decimal(str(p["qty"])) for p in rows if p.get("sym") == "EUR.USD"),
                  Decimal(0))
        assert eur == -Decimal(ask["qty"]), rows       # the ask sold once
        assert "position_mismatch" not in restart      # TWS agrees
    finally:
        rc = trader.stop()
    assert rc == 0, trader.log.read_text()[-3000:]
    assert "decode_failed" not in trader.log.read_text()
    # the stop cancelled the trader's new quotes; the stranger was cancelled by the reconcile
    wait_for(lambda: sim.stats()["orders_open"] == 0, what="nothing left open at TWS")
