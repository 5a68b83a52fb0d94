"""`trader ctl` prints readable tables by default and the JSON with --json: checked against a
real trader on the paper venue, the table's figures against the JSON's."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from trader_harness import TRADER_BIN, FrameClient, Trader, base_config, start_trader

NOW = time.time_ns


@pytest.fixture
def trader(tmp_path: Path) -> Iterator[Trader]:
    t = start_trader(tmp_path, base_config(tmp_path))
    yield t
    t.stop()


def ctl(t: Trader, *args: str, code: int = 0) -> str:
    out = subprocess.run([str(TRADER_BIN), "ctl", "--socket", t.sock, *args],
                         capture_output=True, text=True, timeout=10, check=False)
    assert out.returncode == code, (out.returncode, out.stdout, out.stderr)
    return out.stdout


def section(text: str, title: str) -> list[list[str]]:
    """Rows (split on 2+ spaces) of the table under `title`, header row first."""
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(title))
    rows = []
    for ln in lines[start + 1:]:
        if not ln.startswith("  "):
            break
        rows.append(re.split(r"\s{2,}", ln.strip()))
    return rows


def open_and_fill(t: Trader) -> int:
    c = FrameClient(t.sock, "test")
    c.call({"t": "mark", "venue": "paper", "sym": "BTCUSDT", "px": "60000", "ts": NOW()})
    c.call({"t": "mark", "venue": "paper", "sym": "ETHUSDT", "px": "3000", "ts": NOW()})
    filled = c.call({"t": "check", "venue": "paper", "sym": "BTCUSDT", "side": "buy",
                     "px": "60000", "qty": "0.0001", "ord": "limit", "tif": "gtc",
                     "post_only": True, "cid": "ctl-1"})
    assert filled["t"] == "check_ok", filled
    assert c.call({"t": "report", "res": filled["res"], "kind": "fill", "voi": "V1",
                   "tid": "CTL-T1", "px": "60000", "qty": "0.0001", "fee": "0.006",
                   "fee_ccy": "USDT", "liq": "maker", "ts": NOW()})["t"] == "ok"
    resting = c.call({"t": "check", "venue": "paper", "sym": "ETHUSDT", "side": "buy",
                      "px": "2990", "qty": "0.002", "ord": "limit", "tif": "gtc",
                      "post_only": True, "cid": "ctl-2"})
    assert resting["t"] == "check_ok", resting
    c.close()
    return int(resting["res"])


def test_status_table_matches_json(trader: Trader) -> None:
    res = open_and_fill(trader)
    text = ctl(trader, "status")
    js = json.loads(ctl(trader, "--json", "status"))
    head = text.splitlines()[0]
    assert head.startswith("trader  mode paper  state ACTIVE") and f"pid {js['pid']}" in head

    rows = section(text, "STATES")
    assert rows[0] == ["SCOPE", "STATE", "CAN TRADE"]
    assert {r[0]: r[1] for r in rows[1:]} == js["states"]
    assert {r[0]: r[2] for r in rows[1:]}["paper"] == "yes"

    conns = section(text, "CONNECTIONS")
    assert conns[0] == ["VENUE", "CONNECTION", "FOR", "OPEN ORDERS"]
    assert conns[1][0:2] == ["paper", "UP"] and re.fullmatch(r"\d+s|\d+m\d\ds", conns[1][2])

    pnl = section(text, "PNL (USD)")
    assert pnl[0] == ["REALIZED", "UNREALIZED", "DAILY", "FEES"]
    assert pnl[1] == [js["pnl_usd"][k] for k in ("realized", "unrealized", "daily", "fees")]

    limits = {(r[0], r[1]): r for r in section(text, "LIMITS")[1:]}
    assert len(limits) == len(js["limits"])
    for lim in js["limits"]:
        row = limits[(lim["limit"], lim["scope"])]
        assert row[3] == str(lim["value"]) and row[4] == str(lim["bound"])
        if lim["bound"] == "unlimited":
            assert row[5:] == ["-"]
        else:
            pct = int(Decimal(str(lim["value"])) * 100 / Decimal(str(lim["bound"])))
            assert re.search(rf"\]\s*{pct}%", " ".join(row[5:])), (row, pct)
    exposure = limits[("MAX_EXPOSURE", "global")]
    assert exposure[4] == "40" and Decimal(exposure[3]) > 0  # the position and the open order

    positions = section(text, "POSITIONS")
    assert positions[0][:3] == ["VENUE", "SYMBOL", "QTY"]
    btc = next(r for r in positions[1:] if r[1] == "BTCUSDT")
    want = next(p for p in js["positions"] if p["sym"] == "BTCUSDT")
    assert btc[:3] == ["paper", "BTCUSDT", "0.0001"]
    assert btc[3:] == [want[k] for k in ("cost", "open_buy", "open_sell", "realized_usd",
                                         "unrealized_usd")]

    orders = section(text, "OPEN ORDERS")
    assert len(orders) == 2 and orders[1][:6] == [str(res), "paper", "ETHUSDT", "buy", "2990",
                                                   "0.002"]


def test_other_verbs_have_tables_and_json(trader: Trader) -> None:
    res = open_and_fill(trader)
    assert section(ctl(trader, "positions"), "POSITIONS")[1][1] == "BTCUSDT"
    assert section(ctl(trader, "orders"), "OPEN ORDERS")[1][0] == str(res)
    assert "MAX_EXPOSURE" in ctl(trader, "limits")
    for verb in ("positions", "limits", "orders"):
        assert verb in json.loads(ctl(trader, "--json", verb))


def test_kill_and_unkill_read_as_sentences(trader: Trader) -> None:
    assert ctl(trader, "kill", "table test").strip() == "kill: ok (table test)"
    status = ctl(trader, "status")
    assert "state HALTED" in status.splitlines()[0]
    # the venue's own scope stays ACTIVE under a kill, but it cannot trade
    paper = next(r for r in section(status, "STATES")[1:] if r[0] == "paper")
    assert paper == ["paper", "ACTIVE", "no"]
    trader.kill_file.touch()
    refused = ctl(trader, "unkill", "too soon", code=1)
    assert refused.startswith("unkill: REFUSED (code 22): unkill refused")
    assert json.loads(ctl(trader, "--json", "unkill", code=1))["ok"] is False
    trader.kill_file.unlink()
    assert ctl(trader, "unkill", "resume").strip() == "unkill: ok (resume)"


def test_unreachable_trader_is_exit_2(tmp_path: Path) -> None:
    out = subprocess.run([str(TRADER_BIN), "ctl", "--socket", str(tmp_path / "none.sock"),
                          "status"], capture_output=True, text=True, timeout=10, check=False)
    assert out.returncode == 2 and "cannot reach trader" in out.stderr
