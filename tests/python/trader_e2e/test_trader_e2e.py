"""./bin/trader end to end: kill switch, replay after kill -9, frame errors,
config errors, the live opt-in, and the paper path with the C quoter."""

from __future__ import annotations

import json
import os
import signal
import stat
import struct
import subprocess
import time
from pathlib import Path
from typing import Any

import msgpack
import pytest
from trader_harness import (
    TRADER_BIN,
    FrameClient,
    Trader,
    base_config,
    start_trader,
    wait_for,
)

NOW = time.time_ns


def mark(c: FrameClient, sym: str, px: str) -> None:
    reply = c.call({"t": "mark", "venue": "paper", "sym": sym, "px": px, "ts": NOW()})
    assert reply["t"] == "ok", reply


def check(c: FrameClient, sym: str, side: str, px: str, qty: str) -> dict[str, Any]:
    return c.call({"t": "check", "venue": "paper", "sym": sym, "side": side, "px": px,
                   "qty": qty, "ord": "limit", "tif": "gtc", "post_only": True,
                   "cid": f"t{time.monotonic_ns()}"})


def fill(c: FrameClient, res: int, tid: str, px: str, qty: str) -> dict[str, Any]:
    return c.call({"t": "report", "res": res, "kind": "fill", "voi": f"V{res}", "tid": tid,
                   "px": px, "qty": qty, "fee": "0.001", "fee_ccy": "USDT", "liq": "maker",
                   "ts": NOW()})


def test_status_shows_states_connections_and_limits(trader: Trader) -> None:
    status = trader.ctl("status")
    assert status["states"]["global"] == "ACTIVE"
    assert status["connections"]["paper"]["state"] == "UP"
    names = {(lim["limit"], lim["scope"]) for lim in status["limits"]}
    assert ("MAX_EXPOSURE", "global") in names
    exposure = next(lim for lim in status["limits"]
                    if lim["limit"] == "MAX_EXPOSURE" and lim["scope"] == "global")
    assert exposure["bound"] == "40"  # the micro profile


def test_socket_is_owner_only(trader: Trader) -> None:
    mode = stat.S_IMODE(os.stat(trader.sock).st_mode)
    assert mode == 0o600


def test_check_accepts_within_limits_and_rejects_past_them(trader: Trader) -> None:
    c = trader.client()
    mark(c, "BTCUSDT", "60000")
    ok = check(c, "BTCUSDT", "buy", "59990", "0.0001")   # ~$6
    assert ok["t"] == "check_ok" and ok["res"] > 0
    big = check(c, "BTCUSDT", "buy", "59990", "0.001")   # ~$60: past the $10 position limit
    assert big["t"] == "check_reject"
    assert big["name"] in {"MAX_ORDER_NOTIONAL", "MAX_POSITION"}
    assert "USD" in big["reason"]
    unknown = check(c, "DOGEUSDT", "buy", "1", "1")
    assert unknown["t"] == "check_reject" and unknown["name"] == "UNKNOWN_INSTRUMENT"


def test_kill_file_halts_and_cancels_within_one_second(quoting_trader: Trader) -> None:
    t = quoting_trader
    wait_for(lambda: t.ctl("status")["connections"]["paper"]["open_orders"] > 0)
    sub = t.client("watcher")
    assert sub.call({"t": "subscribe", "topics": ["state"]})["t"] == "ok"
    started = time.monotonic()
    t.kill_file.touch()
    while True:
        msg = sub.recv()
        if msg["t"] == "state" and msg["scope"] == "global" and msg["state"] == "HALTED":
            break
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"HALTED after {elapsed:.3f} s"
    status = wait_for(lambda: (s := t.ctl("status"))["open_orders"] == 0 and s)
    assert status["states"]["global"] == "HALTED"
    assert status["connections"]["paper"]["open_orders"] == 0
    # The file still exists: unkill is refused; removing it alone does not resume.
    refused = t.ctl("unkill", check=False)
    assert refused["ok"] is False
    t.kill_file.unlink()
    assert t.ctl("status")["states"]["global"] == "HALTED"
    assert t.ctl("unkill")["ok"] is True
    assert t.ctl("status")["states"]["global"] == "ACTIVE"


def test_ctl_kill_halts_and_rejects_new_orders(trader: Trader) -> None:
    c = trader.client()
    mark(c, "BTCUSDT", "60000")
    assert trader.ctl("kill", "test")["ok"] is True
    assert trader.ctl("status")["states"]["global"] == "HALTED"
    rej = check(c, "BTCUSDT", "buy", "59990", "0.0001")
    assert rej["t"] == "check_reject" and rej["name"] == "HALTED"


def snapshot(t: Trader) -> tuple[Any, Any, Any]:
    s = t.ctl("status")
    orders = t.ctl("orders")["orders"]
    return s["positions"], sorted(orders, key=lambda o: o["res"]), s["pnl_usd"]["realized"]


def test_replay_after_kill9_restores_state_exactly(tmp_path: Path) -> None:
    cfg = base_config(tmp_path)
    t = start_trader(tmp_path, cfg)
    try:
        before, reservations = _trade_then_kill9(t)
    finally:
        t.stop()
    t2 = start_trader(tmp_path, cfg)
    try:
        # Marks are market data, not journaled: the same marks again, then
        # positions, open orders and PnL must be exactly what they were.
        c2 = t2.client()
        mark(c2, "BTCUSDT", "60000")
        mark(c2, "ETHUSDT", "3000")
        after = snapshot(t2)
        assert after == before
        # Reservation ids continue after the restored ones.
        r4 = check(c2, "ETHUSDT", "buy", "2990", "0.002")
        assert r4["t"] == "check_ok" and r4["res"] > max(reservations), r4
    finally:
        t2.stop()


def _trade_then_kill9(t: Trader) -> tuple[Any, list[int]]:
    c = t.client()
    mark(c, "BTCUSDT", "60000")
    mark(c, "ETHUSDT", "3000")
    r1 = check(c, "BTCUSDT", "buy", "59990", "0.0001")
    r2 = check(c, "ETHUSDT", "buy", "2999", "0.002")
    assert {r["t"] for r in (r1, r2)} == {"check_ok"}, (r1, r2)
    assert fill(c, r1["res"], "T1", "59990", "0.00005")["t"] == "ok"   # partial
    assert fill(c, r2["res"], "T2", "2999", "0.002")["t"] == "ok"      # full
    r3 = check(c, "ETHUSDT", "sell", "3001", "0.002")                  # closes the position
    assert r3["t"] == "check_ok", r3
    assert fill(c, r3["res"], "T3", "3001", "0.001")["t"] == "ok"      # partial: realized PnL
    # A duplicate fill (same trade id) must not be booked twice.
    assert fill(c, r1["res"], "T1", "59990", "0.00005")["t"] in {"ok", "error"}
    before = snapshot(t)
    assert before[0], "positions expected"
    t.proc.send_signal(signal.SIGKILL)
    t.proc.wait()
    return before, [r1["res"], r2["res"], r3["res"]]


def test_malformed_frames_close_only_their_connection(trader: Trader) -> None:
    good = trader.client("good")
    cases = [
        struct.pack(">I", 5) + b"\xc1\xc1\xc1\xc1\xc1",                 # not msgpack
        struct.pack(">I", 70000) + b"\x80" * 16,                        # oversize
        struct.pack(">I", 0),                                           # zero length
        struct.pack(">I", 3) + msgpack.packb([1, 2]),                   # not a map
    ]
    for raw in cases:
        bad = FrameClient(trader.sock, "bad")
        bad.send_raw(raw)
        err = bad.recv()
        assert err["t"] == "error"
        with pytest.raises((ConnectionError, OSError)):
            for _ in range(3):
                bad.recv()
        bad.close()
    unknown = FrameClient(trader.sock, "bad")
    unknown.send({"t": "frobnicate", "id": 1})
    assert unknown.recv()["t"] == "error"
    # The good connection and the engine are unaffected.
    reply = good.call({"t": "query", "what": "status"})
    assert reply["t"] == "query_ok"
    assert trader.proc.poll() is None


def test_bad_config_names_the_key(tmp_path: Path) -> None:
    cfg = base_config(tmp_path)
    cfg["venues"]["paper"]["maker_fee"] = 1
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(cfg))
    out = subprocess.run([str(TRADER_BIN), "--config", str(path), "--check-config"],
                         capture_output=True, text=True, timeout=10, check=False)
    assert out.returncode != 0
    assert "venues.paper.maker_fee" in out.stderr
    cfg = base_config(tmp_path)
    cfg["risk"]["global"] = {"max_exposure_uds": "10"}
    path.write_text(json.dumps(cfg))
    out = subprocess.run([str(TRADER_BIN), "--config", str(path), "--check-config"],
                         capture_output=True, text=True, timeout=10, check=False)
    assert out.returncode != 0
    assert "max_exposure_uds" in out.stderr


def test_live_needs_config_opt_in_and_flag(tmp_path: Path) -> None:
    cfg = base_config(tmp_path)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cfg))
    out = subprocess.run([str(TRADER_BIN), "--mode", "live", "--config", str(path)],
                         capture_output=True, text=True, timeout=10, check=False)
    assert out.returncode != 0 and "live" in out.stderr
    cfg["live"] = True
    path.write_text(json.dumps(cfg))
    out = subprocess.run([str(TRADER_BIN), "--mode", "live", "--config", str(path)],
                         capture_output=True, text=True, timeout=10, check=False)
    assert out.returncode != 0 and "--confirm-live" in out.stderr


def test_paper_quoter_trades_with_fills_and_pnl(quoting_trader: Trader) -> None:
    t = quoting_trader
    wait_for(lambda: " order fill " in t.log.read_text(), timeout=30, interval=0.2)
    status = t.ctl("status")
    assert status["states"]["global"] == "ACTIVE"
    assert any(p["qty"] != "0" or p["realized_usd"] != "0" for p in status["positions"])
    exposure = next(lim for lim in status["limits"]
                    if lim["limit"] == "MAX_EXPOSURE" and lim["scope"] == "global")
    assert float(exposure["value"]) <= 40.0


def test_tick_size_change_by_registering_again(tmp_path: Path) -> None:
    """A Polymarket tick_size_change: the gateway registers the token again with the new
    tick; trader takes it, journals it, and still has it after a restart."""
    cfg = base_config(tmp_path)
    token = "7" * 70
    inst = {"t": "instrument", "venue": "polymarket", "sym": token, "kind": "binary",
            "market": "0x" + "ab" * 32, "complement": "8" * 70, "tick": "0.01", "lot": "0.01",
            "min_qty": "5", "min_notional": "0", "quote_ccy": "USDC", "usd_rate": "1"}

    def poly_check(c: FrameClient, px: str) -> dict[str, Any]:
        return c.call({"t": "check", "venue": "polymarket", "sym": token, "side": "buy",
                       "px": px, "qty": "5", "ord": "limit", "tif": "gtc", "post_only": True,
                       "cid": f"t{time.monotonic_ns()}"})

    t = start_trader(tmp_path, cfg)
    try:
        c = t.client()
        first = c.call({**inst, "id": 1})
        assert first["t"] == "ok", first
        c.call({"t": "mark", "venue": "polymarket", "sym": token, "px": "0.5", "ts": NOW()})
        r = poly_check(c, "0.505")
        assert r["t"] == "check_reject" and r["name"] == "TICK", r
        assert c.call({**inst, "id": 2, "tick": "0.001"})["t"] == "ok"
        assert poly_check(c, "0.505")["t"] == "check_ok"
        # a different lot is a different instrument: refused
        assert c.call({**inst, "id": 3, "tick": "0.001", "lot": "1"})["t"] == "error"
    finally:
        t.stop()
    t2 = start_trader(tmp_path, cfg)
    try:
        c2 = t2.client()
        c2.call({"t": "mark", "venue": "polymarket", "sym": token, "px": "0.5", "ts": NOW()})
        assert poly_check(c2, "0.495")["t"] == "check_ok"
    finally:
        t2.stop()
