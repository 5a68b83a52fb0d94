"""The trader binary quoting EUR.USD on the TWS simulator through the C connector: trading
states follow the connection (disconnect and 1100 -> HALTED, reconcile -> ACTIVE), fills
booked once, everything cancelled at stop."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from ib_async import IB, Forex, MarketOrder
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
