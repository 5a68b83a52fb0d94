"""A seeded 2-hour session (fills, fees, resolution, rebates), the heartbeat dead-man
switch, rate limits and injected faults."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from decimal import Decimal

import httpx
from pm_harness import KEY0, SimProcess, default_wallets
from py_clob_client_v2 import ClobClient
from py_clob_client_v2.clob_types import OrderArgsV2, OrderType
from py_clob_client_v2.exceptions import PolyApiException

from venuesim.polymarket.engine import Engine
from venuesim.polymarket.flow import Flow
from venuesim.polymarket.ledger import Ledger
from venuesim.polymarket.markets import Catalogue, MarketState
from venuesim.polymarket.units import taker_fee


def test_two_hour_session_fees_and_rebates() -> None:
    # 23:00 UTC start: the session crosses midnight, when the day's rebates are paid.
    start = datetime(2026, 11, 23, 23, 0, tzinfo=UTC).timestamp()
    cat = Catalogue(seed=5, now_s=start)
    engine = Engine(cat, Ledger(), seed=5)
    flow = Flow(engine, seed=5)
    fees_before_payout: dict[str, int] = {}
    now = start
    paid = False
    while now < start + 7200:
        now += 2.0
        cat.step_reference(2.0)
        _opened, _closed, resolved = cat.roll(now)
        for m in resolved:
            engine.resolve(m, now)
        cat.update_fair(now)
        flow.step(now)
        engine.advance(now)
        engine.drain()
        if not paid and now >= start + 3600:
            fees_before_payout = dict(engine.period_fees)
            weights = {c: dict(w) for c, w in engine.maker_fee_equiv.items()}
            engine.pay_rebates("2026-11-23")
            paid = True
    trades = list(engine.trades.values())
    assert len(trades) > 500
    assert sum(1 for m in cat.markets.values() if m.state is MarketState.RESOLVED) >= 16
    # Every taker fee is the documented curve, floored to 1e-5; makers pay none.
    for t in trades:
        m = cat.markets[t.market]
        expected = taker_fee(t.size, t.taker_price, m.fee_rate, 1) if m.fees_enabled else 0
        assert t.fee == expected
    assert sum(t.fee for t in trades) == sum(engine.fees_by_market.values()) > 0
    assert all(t.status in ("CONFIRMED", "MINED", "MATCHED") for t in trades)
    # Rebates: rebateRate x the period's taker fees, pro rata to fee-equivalent maker volume.
    for cond, fees in fees_before_payout.items():
        if fees == 0:
            continue
        pool = int(Decimal(fees) * cat.markets[cond].rebate_rate)
        rows = [r for r in engine.rebate_log if r["condition_id"] == cond]
        total = sum(weights[cond].values())
        for r in rows:
            assert r["pool"] == pool
            assert r["amount"] == pool * weights[cond][r["maker_address"]] // total
        assert sum(r["amount"] for r in rows) <= pool
    assert engine.rebate_log and sum(engine.rebates_paid.values()) > 0


def _client(sim: SimProcess) -> ClobClient:
    c = ClobClient(host=sim.clob, chain_id=137, key=KEY0)
    c.set_api_creds(c.create_or_derive_api_key())
    return c


def test_heartbeat_dead_man_switch() -> None:
    sim = SimProcess(["--seed", "3", "--no-flow", "--heartbeat-timeout", "1"],
                     default_wallets())
    try:
        client = _client(sim)
        m = next(x for x in httpx.get(f"{sim.urls['gamma']}/markets").json()
                 if x["acceptingOrders"] and not x["negRisk"] and not x["feesEnabled"])
        yes = json.loads(m["clobTokenIds"])[0]
        client.post_order(client.create_order(
            OrderArgsV2(token_id=yes, price=0.1, size=5.0, side="BUY")), OrderType.GTC)
        first = client.post_heartbeat("")["heartbeat_id"]
        second = client.post_heartbeat(first)["heartbeat_id"]
        assert second != first
        try:
            client.post_heartbeat(first)  # stale id
            raise AssertionError("stale heartbeat accepted")
        except PolyApiException as exc:
            assert exc.status_code == 400
            assert exc.error_msg == {"error_msg": "Invalid Heartbeat ID", "heartbeat_id": second}
        assert len(client.get_open_orders()) == 1
        deadline = time.monotonic() + 3.0  # functional deadline: timeout 1 s + loop tick
        while client.get_open_orders() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.get_open_orders() == []
    finally:
        sim.stop()


def test_rate_limit_and_faults(sim: SimProcess) -> None:
    r = httpx.post(f"{sim.clob}/_sim/faults", json={"rate_limit_scale": 0.001})
    assert r.status_code == 200
    codes = [httpx.get(f"{sim.clob}/tick-size", params={"token_id": "1"}) for _ in range(3)]
    assert codes[0].headers["Poly-RateLimit-Remaining"] == "0"
    assert codes[1].status_code == 429 and int(codes[1].headers["Retry-After"]) >= 1
    httpx.post(f"{sim.clob}/_sim/faults", json={"rate_limit_scale": 1.0, "http_425": 1.0})
    assert httpx.get(f"{sim.clob}/book", params={"token_id": "1"}).status_code == 425
    httpx.post(f"{sim.clob}/_sim/faults", json={"http_425": 0.0, "mode": "cancel_only"})
    client = _client(sim)
    m = next(x for x in httpx.get(f"{sim.urls['gamma']}/markets").json()
             if x["acceptingOrders"] and not x["negRisk"] and not x["feesEnabled"])
    yes = json.loads(m["clobTokenIds"])[0]
    try:
        client.post_order(client.create_order(
            OrderArgsV2(token_id=yes, price=0.1, size=5.0, side="BUY")), OrderType.GTC)
        raise AssertionError("order accepted in cancel-only mode")
    except PolyApiException as exc:
        assert exc.status_code == 503
    httpx.post(f"{sim.clob}/_sim/faults", json={"mode": "normal"})
    bad = httpx.post(f"{sim.clob}/_sim/faults", json={"ws_market": "explode"})
    assert bad.status_code == 400
    stats = httpx.get(f"{sim.clob}/_sim/stats").json()
    assert stats["faults"]["mode"] == "normal" and "orders" in stats
