"""REST /api/v3 against the real simulator process: signing, timing, filters, rejections,
weights and order-count headers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import aiohttp
from bn_harness import (
    ED_KEY,
    HMAC_KEY,
    HMAC_SECRET,
    Sim,
    now_ms,
    sign_hmac,
    signed_query,
    start_sim,
)


async def call(http: aiohttp.ClientSession, sim: Sim, method: str, path: str, query: str = "",
               *, key: str | None = HMAC_KEY, body: str | None = None) -> tuple[int, Any, Any]:
    headers = {"X-MBX-APIKEY": key} if key else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    url = f"{sim.rest}/api/v3/{path}" + (f"?{query}" if query else "")
    async with http.request(method, url, headers=headers, data=body) as resp:
        return resp.status, await resp.json(), resp.headers


async def best(http: aiohttp.ClientSession, sim: Sim, symbol: str) -> tuple[Decimal, Decimal]:
    _s, book, _h = await call(http, sim, "GET", "depth", f"symbol={symbol}&limit=5", key=None)
    return Decimal(book["bids"][0][0]), Decimal(book["asks"][0][0])


def test_docs_hmac_vector() -> None:
    payload = ("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
               "&recvWindow=5000&timestamp=1499827319559")
    assert sign_hmac(payload, HMAC_SECRET) == (
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71")


async def test_public_endpoints(http: aiohttp.ClientSession, quiet_sim: Sim) -> None:
    status, body, headers = await call(http, quiet_sim, "GET", "ping", key=None)
    assert (status, body) == (200, {})
    assert headers["X-MBX-USED-WEIGHT-1M"].isdigit()
    _s, info, _h = await call(http, quiet_sim, "GET", "exchangeInfo", key=None)
    names = [s["symbol"] for s in info["symbols"]]
    assert names == ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"]
    kinds = {f["filterType"] for s in info["symbols"] for f in s["filters"]}
    assert {"PRICE_FILTER", "LOT_SIZE", "NOTIONAL", "MIN_NOTIONAL", "MAX_NUM_ORDERS"} <= kinds
    status, body, _h = await call(http, quiet_sim, "GET", "depth", "symbol=NOPE", key=None)
    assert (status, body) == (400, {"code": -1121, "msg": "Invalid symbol."})


async def test_signatures_and_timing(http: aiohttp.ClientSession, quiet_sim: Sim) -> None:
    ok = signed_query({"omitZeroBalances": "true"})
    status, body, _h = await call(http, quiet_sim, "GET", "account", ok)
    assert status == 200 and body["canTrade"] is True
    status, body, _h = await call(http, quiet_sim, "GET", "account",
                                  signed_query({}, ed25519=True), key=ED_KEY)
    assert status == 200 and body["uid"] > 0
    # A signature over different bytes than those sent.
    tampered = signed_query({"omitZeroBalances": "true"}).replace("true", "false", 1)
    status, body, _h = await call(http, quiet_sim, "GET", "account", tampered)
    assert (status, body) == (400, {"code": -1022,
                                    "msg": "Signature for this request is not valid."})
    # Ed25519 signature checked against an HMAC key's account: wrong key type, invalid.
    status, body, _h = await call(http, quiet_sim, "GET", "account",
                                  signed_query({}, ed25519=True), key=HMAC_KEY)
    assert body["code"] == -1022
    stale = signed_query({}, timestamp=now_ms() - 10_000)
    status, body, _h = await call(http, quiet_sim, "GET", "account", stale)
    assert (status, body) == (400, {
        "code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."})
    ahead = signed_query({}, timestamp=now_ms() + 5_000)
    status, body, _h = await call(http, quiet_sim, "GET", "account", ahead)
    assert body == {"code": -1021,
                    "msg": "Timestamp for this request was 1000ms ahead of the server's time."}
    wide = signed_query({"recvWindow": "20000"}, timestamp=now_ms() - 10_000)
    status, _b, _h = await call(http, quiet_sim, "GET", "account", wide)
    assert status == 200
    status, body, _h = await call(http, quiet_sim, "GET", "account", signed_query({}), key=None)
    assert (status, body["code"]) == (401, -2014)
    status, body, _h = await call(http, quiet_sim, "GET", "account", signed_query({}),
                                  key="unknownkey")
    assert (status, body) == (401, {"code": -2015, "msg": "Invalid API-key, IP, or "
                                                          "permissions for action."})


async def test_signature_over_query_and_body(http: aiohttp.ClientSession, quiet_sim: Sim
                                             ) -> None:
    """Payload = query string + body, as sent; the signature may ride in the body."""
    bid, _ask = await best(http, quiet_sim, "ETHUSDT")
    query = "symbol=ETHUSDT&side=BUY&type=LIMIT"
    body = f"timeInForce=GTC&quantity=0.0100&price={bid - 10}&timestamp={now_ms()}"
    signature = sign_hmac(query + body)
    status, reply, headers = await call(http, quiet_sim, "POST", "order", query,
                                        body=f"{body}&signature={signature}")
    assert status == 200, reply
    assert reply["status"] == "NEW" and reply["fills"] == []
    assert int(headers["X-MBX-ORDER-COUNT-10S"]) >= 1
    assert int(headers["X-MBX-ORDER-COUNT-1D"]) >= 1
    status, reply, _h = await call(http, quiet_sim, "DELETE", "order", signed_query(
        {"symbol": "ETHUSDT", "orderId": reply["orderId"]}))
    assert status == 200 and reply["status"] == "CANCELED"


async def test_filter_failures(http: aiohttp.ClientSession, quiet_sim: Sim) -> None:
    bid, _ask = await best(http, quiet_sim, "BTCUSDT")
    cases = {
        "PRICE_FILTER": {"price": f"{bid - Decimal('0.005')}", "quantity": "0.001"},
        "LOT_SIZE": {"price": f"{bid - 100}", "quantity": "0.000015"},
        "NOTIONAL": {"price": f"{bid - 100}", "quantity": "0.00001"},
    }
    for name, extra in cases.items():
        query = signed_query({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
                              "timeInForce": "GTC", **extra})
        status, body, _h = await call(http, quiet_sim, "POST", "order", query)
        assert (status, body) == (400, {"code": -1013, "msg": f"Filter failure: {name}"}), name
    query = signed_query({"symbol": "XRPUSDT", "side": "BUY", "type": "LIMIT",
                          "timeInForce": "GTC", "price": "0.5000", "quantity": "1.0"})
    _s, body, _h = await call(http, quiet_sim, "POST", "order", query)
    assert body == {"code": -1013, "msg": "Filter failure: MIN_NOTIONAL"}


async def test_order_rejections(http: aiohttp.ClientSession, quiet_sim: Sim) -> None:
    bid, ask = await best(http, quiet_sim, "BTCUSDT")
    crossing = signed_query({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT_MAKER",
                             "price": f"{ask}", "quantity": "0.001"})
    status, body, _h = await call(http, quiet_sim, "POST", "order", crossing)
    assert (status, body) == (400, {"code": -2010,
                                    "msg": "Order would immediately match and take."})
    unknown = signed_query({"symbol": "BTCUSDT", "orderId": "123"})
    status, body, _h = await call(http, quiet_sim, "DELETE", "order", unknown)
    assert (status, body) == (400, {"code": -2011, "msg": "Unknown order sent."})
    status, body, _h = await call(http, quiet_sim, "GET", "order", unknown)
    assert body == {"code": -2013, "msg": "Order does not exist."}
    neither = signed_query({"symbol": "BTCUSDT"})
    _s, body, _h = await call(http, quiet_sim, "DELETE", "order", neither)
    assert body == {"code": -1102, "msg": "Param 'origClientOrderId' or 'orderId' must be "
                                          "sent, but both were empty/null!"}
    no_tif = signed_query({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
                           "price": f"{bid}", "quantity": "0.001"})
    _s, body, _h = await call(http, quiet_sim, "POST", "order", no_tif)
    assert body == {"code": -1102, "msg": "Mandatory parameter 'timeInForce' was not sent, "
                                          "was empty/null, or malformed."}
    extra = signed_query({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT_MAKER",
                          "price": f"{bid - 50}", "quantity": "0.001", "bogus": "1"})
    _s, body, _h = await call(http, quiet_sim, "POST", "order", extra)
    assert body["code"] == -1104
    rich = signed_query({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT_MAKER",
                         "price": f"{bid - 50}", "quantity": "1"})
    _s, body, _h = await call(http, quiet_sim, "POST", "order", rich)
    assert body == {"code": -2010,
                    "msg": "Account has insufficient balance for requested action."}


async def test_limit_maker_life_and_fill(http: aiohttp.ClientSession, quiet_sim: Sim) -> None:
    """A post-only bid at the top is filled by another participant; trades and balances
    follow, including the maker fee."""
    _s, before, _h = await call(http, quiet_sim, "GET", "account", signed_query({}))
    btc_before = Decimal(next(b["free"] for b in before["balances"] if b["asset"] == "BTC"))
    bid, ask = await best(http, quiet_sim, "BTCUSDT")
    price = bid + Decimal("0.01")
    assert price < ask
    query = signed_query({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT_MAKER",
                          "price": f"{price}", "quantity": "0.00100",
                          "newClientOrderId": "mk-1", "newOrderRespType": "RESULT"})
    status, placed, _h = await call(http, quiet_sim, "POST", "order", query)
    assert status == 200 and placed["status"] == "NEW" and "fills" not in placed
    dup = signed_query({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT_MAKER",
                        "price": f"{price}", "quantity": "0.00100", "newClientOrderId": "mk-1"})
    _s, body, _h = await call(http, quiet_sim, "POST", "order", dup)
    assert body == {"code": -2010, "msg": "Duplicate order sent."}
    async with http.post(f"{quiet_sim.rest}/_sim/trade", json={
            "symbol": "BTCUSDT", "side": "SELL", "quantity": "0.0004"}) as resp:
        trade = await resp.json()
    assert trade["fills"][0]["price"] == f"{price:.8f}"
    _s, order, _h = await call(http, quiet_sim, "GET", "order", signed_query(
        {"symbol": "BTCUSDT", "origClientOrderId": "mk-1"}))
    assert order["status"] == "PARTIALLY_FILLED" and order["executedQty"] == "0.00040000"
    _s, trades, _h = await call(http, quiet_sim, "GET", "myTrades", signed_query(
        {"symbol": "BTCUSDT", "orderId": placed["orderId"]}))
    assert len(trades) == 1 and trades[0]["isMaker"] is True and trades[0]["isBuyer"] is True
    assert trades[0]["commissionAsset"] == "BTC"
    assert Decimal(trades[0]["commission"]) == Decimal("0.0004") * Decimal("0.001")
    _s, opened, _h = await call(http, quiet_sim, "GET", "openOrders",
                                signed_query({"symbol": "BTCUSDT"}))
    assert [o["orderId"] for o in opened] == [placed["orderId"]]
    status, cancelled, _h = await call(http, quiet_sim, "DELETE", "openOrders",
                                       signed_query({"symbol": "BTCUSDT"}))
    assert status == 200 and cancelled[0]["status"] == "CANCELED"
    assert cancelled[0]["origClientOrderId"] == "mk-1"
    _s, account, _h = await call(http, quiet_sim, "GET", "account", signed_query({}))
    btc = next(b for b in account["balances"] if b["asset"] == "BTC")
    assert Decimal(btc["free"]) - btc_before == Decimal("0.0004") - Decimal("0.0000004")
    usdt = next(b for b in account["balances"] if b["asset"] == "USDT")
    assert Decimal(usdt["locked"]) == 0


async def test_market_and_ioc(http: aiohttp.ClientSession, quiet_sim: Sim) -> None:
    _bid, ask = await best(http, quiet_sim, "ETHUSDT")
    query = signed_query({"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET",
                          "quantity": "0.0500"})
    status, body, _h = await call(http, quiet_sim, "POST", "order", query)
    assert status == 200 and body["status"] == "FILLED" and body["type"] == "MARKET"
    assert sum(Decimal(f["qty"]) for f in body["fills"]) == Decimal("0.05")
    assert Decimal(body["fills"][0]["price"]) == ask
    ioc = signed_query({"symbol": "ETHUSDT", "side": "BUY", "type": "LIMIT",
                        "timeInForce": "IOC", "price": "100.00", "quantity": "0.1000"})
    _s, body, _h = await call(http, quiet_sim, "POST", "order", ioc)
    assert body["status"] == "EXPIRED" and body["executedQty"] == "0.00000000"
    _s, test, _h = await call(http, quiet_sim, "POST", "order/test", ioc)
    assert test == {}


async def test_5xx_fault(http: aiohttp.ClientSession, quiet_sim: Sim) -> None:
    async with http.post(f"{quiet_sim.rest}/_sim/faults", json={"rest_5xx": 1}) as resp:
        assert resp.status == 200
    status, body, _h = await call(http, quiet_sim, "GET", "ping", key=None)
    assert status == 503 and body["code"] == -1001
    status, _b, _h = await call(http, quiet_sim, "GET", "ping", key=None)
    assert status == 200
    async with http.post(f"{quiet_sim.rest}/_sim/faults", json={"nonsense": 1}) as resp:
        assert resp.status == 400


async def test_429_then_418(http: aiohttp.ClientSession) -> None:
    sim = start_sim(["--seed", "3", "--no-flow", "--weight-limit", "5"])
    try:
        statuses = []
        retry_after = []
        for _ in range(10):
            status, body, headers = await call(http, sim, "GET", "ping", key=None)
            statuses.append(status)
            if status in (429, 418):
                retry_after.append(int(headers["Retry-After"]))
                assert body["code"] == -1003
        assert statuses[:5] == [200] * 5
        assert statuses[5] == 429
        assert 418 in statuses[6:]
        assert statuses[-1] == 418
        assert all(r >= 1 for r in retry_after)
    finally:
        sim.stop()


async def test_unknown_status_fault_and_time_skew(http: aiohttp.ClientSession, quiet_sim: Sim
                                                  ) -> None:
    """rest_unknown executes the order but answers 503 -1007; the order is found by query.
    time_skew_ms moves serverTime, so a client with a good clock gets -1021 until it syncs."""
    bid, _ask = await best(http, quiet_sim, "BTCUSDT")
    async with http.post(f"{quiet_sim.rest}/_sim/faults", json={"rest_unknown": 1}) as resp:
        assert resp.status == 200
    status, body, _h = await call(http, quiet_sim, "POST", "order", signed_query(
        {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT_MAKER", "price": f"{bid - 200}",
         "quantity": "0.00100", "newClientOrderId": "unknown-1"}))
    assert status == 503 and body["code"] == -1007
    _s, order, _h = await call(http, quiet_sim, "GET", "order", signed_query(
        {"symbol": "BTCUSDT", "origClientOrderId": "unknown-1"}))
    assert order["status"] == "NEW"
    await call(http, quiet_sim, "DELETE", "order", signed_query(
        {"symbol": "BTCUSDT", "origClientOrderId": "unknown-1"}))
    async with http.post(f"{quiet_sim.rest}/_sim/faults", json={"time_skew_ms": 30_000}):
        pass
    try:
        _s, server, _h = await call(http, quiet_sim, "GET", "time", key=None)
        assert server["serverTime"] - now_ms() > 25_000
        _s, body, _h = await call(http, quiet_sim, "GET", "account", signed_query({}))
        assert body["code"] == -1021
        synced = signed_query({}, timestamp=server["serverTime"])
        status, _b, _h = await call(http, quiet_sim, "GET", "account", synced)
        assert status == 200
    finally:
        async with http.post(f"{quiet_sim.rest}/_sim/faults", json={"time_skew_ms": 0}):
            pass
