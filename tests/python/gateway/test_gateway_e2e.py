"""The gateway end to end: the real Polymarket simulator, a real `trader` binary, the
gateway as a subprocess (`python -m gateway --mode ...`), observed from outside."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from gw_harness import DEPOSIT_WALLET, KEY0, Gateway, Sim, Trader, wait_for, write_config
from venue_helpers import Ours, make_book, tokens


def _cfg(tmp: Path, trader: Trader, market: dict[str, Any], **kw: Any) -> Path:
    return write_config(tmp, trader, discovery=f'condition_ids = ["{market["conditionId"]}"]',
                        **kw)


def _our_orders(gw: Gateway) -> list[dict[str, Any]]:
    st = gw.status()
    orders: list[dict[str, Any]] = st.get("open_orders", [])
    return orders


def _trader_positions(trader: Trader) -> dict[str, Decimal]:
    out = trader.ctl("positions")
    rows = out.get("positions", out)
    pos: dict[str, Decimal] = {}
    for r in rows if isinstance(rows, list) else []:
        if r.get("venue") == "polymarket":
            pos[str(r["sym"])] = Decimal(str(r["qty"]))
    return pos


def test_dry_run_sends_nothing(tmp_path: Path, sim: Sim, trader: Trader) -> None:
    market = sim.fee_free_market()
    make_book(sim, market)
    received_before = sim.stats()["orders"]["received"]   # the book's own two orders
    gw = Gateway(tmp_path, _cfg(tmp_path, trader, market), sim, "dry-run")
    try:
        st = wait_for(lambda: (s := gw.status()).get("counters", {}).get(
            "dry_run_would_send") and s, 20)
        assert st["mode"] == "dry-run"
        # the risk check ran for every order it would send ...
        assert st["metrics"]["check"]["n"] >= 2
        assert "dry-run: would send GTC BUY" in gw.logs()
        # ... nothing reached the venue, and trader holds no reservation for them
        assert sim.stats()["orders"]["received"] == received_before
        assert trader.ctl("orders")["orders"] == []
        records = (tmp_path / "records.jsonl").read_text()
        assert '"type": "OrderRecord"' in records
        # the operator's view: tables, with the same facts as the JSON
        table = gw.status_table()
        assert table.startswith("gateway  mode dry-run  state "), table
        for title in ("CONNECTIONS", "MARKETS", "POSITIONS (shares)", "OPEN ORDERS"):
            assert f"\n{title}\n" in table, table
        assert f"pid {st['pid']}" in table.splitlines()[0]
    finally:
        gw.stop()
    assert sim.stats()["orders"]["received"] == received_before


def test_live_places_lists_and_cancels_signed_orders(tmp_path: Path, sim: Sim,
                                                     trader: Trader) -> None:
    market = sim.fee_free_market()
    make_book(sim, market)
    yes, no = tokens(market)
    gw = Gateway(tmp_path, _cfg(tmp_path, trader, market, live=True), sim, "live",
                 "--confirm-live")
    ours = Ours(sim)
    try:
        venue_orders = wait_for(lambda: len(ours.open_orders()) == 2 and ours.open_orders(), 20)
        # two-sided post-only quotes around the micro-price 0.50: BUY YES 0.48, BUY NO 0.48
        assert sorted((o["asset_id"], o["side"], o["price"]) for o in venue_orders) == sorted(
            [(yes, "BUY", "0.4800"), (no, "BUY", "0.4800")])
        # trader holds one acknowledged reservation per venue order
        res = trader.ctl("orders")["orders"]
        # (the whole 66-byte venue order id: trader keeps ids up to the IPC's 128 bytes)
        assert sorted(r["voi"] for r in res) == sorted(o["id"] for o in venue_orders)
        st = gw.status()
        assert st["state"] == "QUOTING" and st["connections"]["heartbeats_ok"] >= 1
    finally:
        gw.stop()
    assert gw.proc.returncode == 0
    assert ours.open_orders() == []                  # stop cancelled everything
    assert trader.ctl("orders")["orders"] == []      # and released every reservation
    # secrets never reach the logs (the key, and the derived API secret and passphrase)
    _key, secret, passphrase = ours.creds()
    text = gw.logs() + (tmp_path / "gateway.log").read_text() + \
        (tmp_path / "records.jsonl").read_text()
    for s in (KEY0, KEY0.removeprefix("0x"), secret, passphrase):
        assert s not in text


def test_live_poly_1271_deposit_wallet(tmp_path: Path, sim: Sim, trader: Trader) -> None:
    market = sim.fee_free_market()
    make_book(sim, market)
    cfg = _cfg(tmp_path, trader, market, live=True,
               wallet=f'signature_type = "POLY_1271"\nfunder = "{DEPOSIT_WALLET}"')
    gw = Gateway(tmp_path, cfg, sim, "live", "--confirm-live")
    ours = Ours(sim)
    try:
        orders = wait_for(lambda: len(ours.open_orders()) == 2 and ours.open_orders(), 20)
        assert {o["maker_address"].lower() for o in orders} == {DEPOSIT_WALLET.lower()}
    finally:
        gw.stop()
    assert ours.open_orders() == []


def test_paper_fills_by_queue_position(tmp_path: Path, sim: Sim, trader: Trader) -> None:
    market = sim.fee_free_market()
    other = make_book(sim, market, bid=0.47, size=20)
    yes, no = tokens(market)
    # three ticks from the micro-price: our paper bid joins the 0.47 level behind 20 shares
    cfg = _cfg(tmp_path, trader, market, quote="half_spread_ticks = 3")
    received_before = sim.stats()["orders"]["received"]
    gw = Gateway(tmp_path, cfg, sim, "paper")
    try:
        wait_for(lambda: any(o["token"] == yes and o["price"] == "0.47"
                             for o in _our_orders(gw)), 20)
        # a taker sells 10 YES into the bid (as a BUY NO at 0.53): 10 of the 20 ahead trade
        other.order(no, "BUY", 0.53, 10)
        time.sleep(0.5)
        assert gw.status()["counters"]["fills"] == 0
        # 15 more: the last 10 ahead, then 5 reach us
        other.order(no, "BUY", 0.53, 15)
        st = wait_for(lambda: (s := gw.status())["counters"]["fills"] >= 1 and s, 10)
        assert {k: Decimal(v) for k, v in st["positions"].items()} == {yes: 5}
        wait_for(lambda: _trader_positions(trader).get(yes) == Decimal(5), 10)
    finally:
        gw.stop()
    # paper mode never sent anything to the venue
    assert sim.stats()["orders"]["received"] == received_before + 2


def test_kill_file_and_cli_kill_cancel_within_one_second(tmp_path: Path, sim: Sim,
                                                         trader: Trader) -> None:
    market = sim.fee_free_market()
    make_book(sim, market)
    gw = Gateway(tmp_path, _cfg(tmp_path, trader, market, live=True), sim, "live",
                 "--confirm-live")
    ours = Ours(sim)
    try:
        wait_for(lambda: len(ours.open_orders()) == 2, 20)
        t0 = time.monotonic()
        trader.kill_file.touch()
        wait_for(lambda: ours.open_orders() == [], 1.0)
        assert time.monotonic() - t0 < 1.0
        time.sleep(0.5)
        assert ours.open_orders() == []              # halted: nothing new is placed
        trader.kill_file.unlink()
        trader.ctl("unkill", "test")
        wait_for(lambda: len(ours.open_orders()) == 2, 10)   # ACTIVE again: quotes return
        t0 = time.monotonic()
        trader.ctl("kill", "test")
        wait_for(lambda: ours.open_orders() == [], 1.0)
        assert time.monotonic() - t0 < 1.0
    finally:
        gw.stop()


def test_trader_kill9_cancels_within_one_second(tmp_path: Path, sim: Sim,
                                                trader: Trader) -> None:
    market = sim.fee_free_market()
    make_book(sim, market)
    gw = Gateway(tmp_path, _cfg(tmp_path, trader, market, live=True), sim, "live",
                 "--confirm-live")
    ours = Ours(sim)
    try:
        wait_for(lambda: len(ours.open_orders()) == 2, 20)
        t0 = time.monotonic()
        trader.kill9()
        wait_for(lambda: ours.open_orders() == [], 1.0)
        assert time.monotonic() - t0 < 1.0
        time.sleep(0.5)
        assert ours.open_orders() == []              # no risk authority: no quotes
        trader.start()                               # replays its journal, ACTIVE again
        wait_for(lambda: len(ours.open_orders()) == 2, 15)
    finally:
        gw.stop()


def test_gateway_kill9_venue_dead_man_switch(tmp_path: Path, sim: Sim,
                                             trader: Trader) -> None:
    market = sim.fee_free_market()
    make_book(sim, market)
    # order heartbeat every 0.5 s against the simulator's 2 s dead-man timeout
    cfg = _cfg(tmp_path, trader, market, live=True, timing="order_heartbeat_s = 0.5")
    gw = Gateway(tmp_path, cfg, sim, "live", "--confirm-live")
    ours = Ours(sim)
    try:
        wait_for(lambda: len(ours.open_orders()) == 2, 20)
        time.sleep(3.0)                              # longer than the timeout: heartbeats work
        assert len(ours.open_orders()) == 2
        gw.kill9()
        wait_for(lambda: ours.open_orders() == [], 6.0)   # the venue cancelled them itself
    finally:
        gw.stop()


def test_fill_during_user_channel_outage_booked_once(tmp_path: Path, sim: Sim,
                                                     trader: Trader) -> None:
    market = sim.fee_free_market()
    other = make_book(sim, market)
    yes, no = tokens(market)
    cfg = _cfg(tmp_path, trader, market, live=True, timing="ws_silent_s = 1.5")
    gw = Gateway(tmp_path, cfg, sim, "live", "--confirm-live")
    ours = Ours(sim)
    try:
        wait_for(lambda: len(ours.open_orders()) == 2, 20)
        sim.faults(ws_user="stall")                  # the user channel goes silent ...
        other.order(no, "BUY", 0.52, 5)              # ... while our YES bid at 0.48 fills
        # the gateway notices the silence, cancels everything and reconnects
        wait_for(lambda: (gw.status()["connections"]["user_ws_reconnects"] or 0) >= 1, 10)
        sim.faults(ws_user="ok")
        # after the reconnect the REST reconciliation books the fill, once
        wait_for(lambda: _trader_positions(trader).get(yes) == Decimal(5), 15)
        st = wait_for(lambda: (s := gw.status())["state"] == "QUOTING" and s, 15)
        assert st["counters"]["fills"] == 1
        assert {k: Decimal(v) for k, v in st["positions"].items()} == {yes: 5}
        time.sleep(1.0)
        assert _trader_positions(trader).get(yes) == Decimal(5)
        fills = [json.loads(line) for line in
                 (tmp_path / "records.jsonl").read_text().splitlines()
                 if '"FillRecord"' in line]
        assert len(fills) == 1 and Decimal(fills[0]["quantity"]) == 5
    finally:
        gw.stop()


def test_paper_gateway_kill9_restart_releases_its_orphaned_reservations(
        tmp_path: Path, sim: Sim, trader: Trader) -> None:
    """A paper gateway killed -9 leaves reservations in trader for orders that existed only
    in its memory; the next gateway process releases them before it quotes (found by the
    whole-stack chaos driver: they used to stay open forever)."""
    market = sim.fee_free_market()
    make_book(sim, market)
    cfg = _cfg(tmp_path, trader, market)

    def poly_orders() -> list[dict[str, Any]]:
        return [o for o in trader.ctl("orders")["orders"] if o["venue"] == "polymarket"]

    gw = Gateway(tmp_path, cfg, sim, "paper")
    try:
        first = wait_for(lambda: len(poly_orders()) >= 2 and poly_orders(), 20)
        gw.kill9()
    finally:
        gw.stop()
    assert {o["res"] for o in poly_orders()} >= {o["res"] for o in first}  # left behind
    gw2 = Gateway(tmp_path, cfg, sim, "paper")
    try:
        old = {o["res"] for o in first}
        wait_for(lambda: not old & {o["res"] for o in poly_orders()}, 20)
        assert "left by a previous gateway run" in gw2.logs()
        # and the new process quotes again with fresh reservations
        wait_for(lambda: len(poly_orders()) >= 2, 20)
    finally:
        gw2.stop()
