"""The simulator's output has the same fields as the captured Spot fixtures
(../shared/fixtures/binance/spot/), allowing for the documented Spot/futures and
stale-fixture differences noted in fixtures/SOURCES.md."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import aiohttp
from bn_harness import HMAC_KEY, HMAC_SECRET, Sim, load_fixture, now_ms, sign_hmac, signed_query
from test_rest import best, call


def keys(doc: dict[str, Any]) -> set[str]:
    return set(doc)


async def test_rest_shapes(http: aiohttp.ClientSession, quiet_sim: Sim) -> None:
    _s, server_time, _h = await call(http, quiet_sim, "GET", "time", key=None)
    assert keys(server_time) == keys(load_fixture("spot/http_json/server_time_response.json"))
    _s, info, _h = await call(http, quiet_sim, "GET", "exchangeInfo", "symbol=ETHUSDT",
                              key=None)
    fixture = load_fixture("spot/http_json/exchange_info_response.json")
    assert keys(info) == keys(fixture)
    assert keys(info["symbols"][0]) == keys(fixture["symbols"][0])
    shapes = {f["filterType"]: keys(f) for f in
              load_fixture("spot/http_json/notional_both.json")["filters"]}
    for symbol in info["symbols"]:
        for flt in symbol["filters"]:
            if flt["filterType"] in shapes:
                assert keys(flt) == shapes[flt["filterType"]], flt
    _s, depth, _h = await call(http, quiet_sim, "GET", "depth", "symbol=BTCUSDT&limit=10",
                               key=None)
    depth_fixture = load_fixture("spot/market_data_json/spot_market_depth.json")
    assert keys(depth) == keys(depth_fixture)
    assert len(depth["bids"]) == 10 and all(len(level) == 2 for level in depth["bids"])

    _bid, ask = await best(http, quiet_sim, "ETHUSDT")
    _s, full, _h = await call(http, quiet_sim, "POST", "order", signed_query(
        {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.0100"}))
    fixture = load_fixture("spot/http_json/new_order_full_response.json")
    assert keys(full) == keys(fixture)
    assert keys(full["fills"][0]) == keys(fixture["fills"][0])
    _s, trades, _h = await call(http, quiet_sim, "GET", "myTrades", signed_query(
        {"symbol": "ETHUSDT", "orderId": full["orderId"]}))
    assert keys(trades[0]) == keys(load_fixture("spot/http_json/account_trades_response.json")[0])

    _s, resting, _h = await call(http, quiet_sim, "POST", "order", signed_query(
        {"symbol": "ETHUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC",
         "price": f"{ask + 50}", "quantity": "0.0100"}))
    _s, queried, _h = await call(http, quiet_sim, "GET", "order", signed_query(
        {"symbol": "ETHUSDT", "orderId": resting["orderId"]}))
    assert keys(queried) == keys(load_fixture("spot/http_json/order_response.json"))
    _s, opened, _h = await call(http, quiet_sim, "GET", "openOrders",
                                signed_query({"symbol": "ETHUSDT"}))
    assert keys(opened[0]) == keys(load_fixture("spot/http_json/all_orders_response.json")[0])
    _s, cancelled, _h = await call(http, quiet_sim, "DELETE", "order", signed_query(
        {"symbol": "ETHUSDT", "orderId": resting["orderId"]}))
    assert keys(cancelled) == keys(load_fixture("spot/http_json/cancel_order_response.json"))
    await call(http, quiet_sim, "POST", "order", signed_query(
        {"symbol": "ETHUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC",
         "price": f"{ask + 60}", "quantity": "0.0100"}))
    _s, all_cancelled, _h = await call(http, quiet_sim, "DELETE", "openOrders",
                                       signed_query({"symbol": "ETHUSDT"}))
    assert keys(all_cancelled[0]) == keys(
        load_fixture("spot/http_json/cancel_open_orders_response.json")[0])
    _s, account, _h = await call(http, quiet_sim, "GET", "account", signed_query({}))
    account_fixture = load_fixture("spot/http_json/account_response.json")
    assert keys(account) == keys(account_fixture)
    assert keys(account["commissionRates"]) == keys(account_fixture["commissionRates"])
    assert keys(account["balances"][0]) == keys(account_fixture["balances"][0])


async def user_events(http: aiohttp.ClientSession, sim: Sim, action: Any) -> list[Any]:
    """Subscribe with userDataStream.subscribe.signature (HMAC), run `action`, collect."""
    async with http.ws_connect(sim.ws_api) as ws:
        params: dict[str, Any] = {"apiKey": HMAC_KEY, "timestamp": now_ms()}
        payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
        params["signature"] = sign_hmac(payload, HMAC_SECRET)
        await ws.send_json({"id": "s1", "method": "userDataStream.subscribe.signature",
                            "params": params})
        reply = json.loads((await ws.receive(timeout=5)).data)
        assert reply["status"] == 200 and reply["result"] == {"subscriptionId": 0}
        assert {"rateLimitType", "interval", "intervalNum", "limit", "count"} == keys(
            reply["rateLimits"][0])
        await action()
        frames: list[Any] = []
        while True:
            try:
                msg = await ws.receive(timeout=0.5)
            except TimeoutError:
                break
            frames.append(json.loads(msg.data))
    return frames


async def test_user_data_shapes(http: aiohttp.ClientSession, quiet_sim: Sim) -> None:
    bid, _ask = await best(http, quiet_sim, "BTCUSDT")

    async def action() -> None:
        _s, placed, _h = await call(http, quiet_sim, "POST", "order", signed_query(
            {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT_MAKER",
             "price": f"{bid + Decimal('0.01')}", "quantity": "0.00100"}))
        assert "orderId" in placed, placed
        async with http.post(f"{quiet_sim.rest}/_sim/trade", json={
                "symbol": "BTCUSDT", "side": "SELL", "quantity": "0.001"}) as resp:
            assert (await resp.json())["fills"]
        async with http.post(f"{quiet_sim.rest}/_sim/deposit", json={
                "api_key": HMAC_KEY, "asset": "USDT", "amount": "25"}) as resp:
            assert resp.status == 200
        await asyncio.sleep(0.1)

    frames = await user_events(http, quiet_sim, action)
    assert all(keys(f) == {"subscriptionId", "event"} for f in frames)
    events = [f["event"] for f in frames]
    by_kind: dict[tuple[str, str], dict[str, Any]] = {}
    for event in events:
        by_kind.setdefault((event["e"], event.get("x", "")), event)
    wrapped = load_fixture("spot/user_data_json/execution_report_wrapped.json")["event"]
    assert keys(by_kind[("executionReport", "NEW")]) == keys(wrapped)
    trade = by_kind[("executionReport", "TRADE")]
    # A filled order is off the book: W (working time) stays, as on the venue, since the
    # order did work; the trade fixture is a legacy-form capture without F, g, I, M, Y, Q, W, V.
    legacy_trade = load_fixture("spot/user_data_json/execution_report_trade.json")
    assert keys(legacy_trade) <= keys(trade)
    assert trade["X"] == "FILLED" and trade["m"] is True and trade["N"] == "BTC"
    position = by_kind[("outboundAccountPosition", "")]
    fixture = load_fixture("spot/user_data_json/account_position_wrapped.json")["event"]
    assert keys(position) == keys(fixture)
    assert keys(position["B"][0]) == keys(fixture["B"][0])
    balance = by_kind[("balanceUpdate", "")]
    assert keys(balance) == keys(
        load_fixture("spot/user_data_json/balance_update_wrapped.json")["event"])
    assert balance["d"] == "25.00000000"


async def test_stream_shapes(http: aiohttp.ClientSession, quiet_sim: Sim) -> None:
    streams = "btcusdt@trade/btcusdt@bookTicker"
    async with http.ws_connect(f"{quiet_sim.ws_streams}/stream?streams={streams}") as ws:
        await asyncio.sleep(0.1)
        async with http.post(f"{quiet_sim.rest}/_sim/trade", json={
                "symbol": "BTCUSDT", "side": "BUY", "quantity": "0.002"}) as resp:
            assert (await resp.json())["fills"]
        seen: dict[str, Any] = {}
        while len(seen) < 2:
            frame = json.loads((await ws.receive(timeout=5)).data)
            seen.setdefault(frame["stream"], frame)
    trade_fixture = load_fixture("spot/market_data_json/ws_spot_trade.json")
    assert keys(seen["btcusdt@trade"]) == keys(trade_fixture)
    # b/a (buyer/seller order ids) were removed from Spot trades on 2024-06-18.
    assert keys(seen["btcusdt@trade"]["data"]) == keys(trade_fixture["data"]) - {"b", "a"}
    ticker_fixture = load_fixture("spot/market_data_json/ws_spot_ticker_book.json")
    # The captured bookTicker carries T/E that the Spot docs do not show.
    assert keys(seen["btcusdt@bookTicker"]["data"]) == keys(ticker_fixture["data"]) - {"T", "E"}
