"""The simulator's output has the fields and encodings of the captured/documented
payloads in shared/fixtures/polymarket (V1-era fixtures are marked as such)."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal
from typing import Any

import aiohttp
import httpx
import pytest
from pm_harness import ADDR0, KEY0, SimProcess, load_fixture
from py_clob_client_v2 import ClobClient
from py_clob_client_v2.clob_types import OrderArgsV2, OrderPayload, OrderType

from venuesim.polymarket.signing import (
    CTF_EXCHANGE_V2,
    NEG_RISK_CTF_EXCHANGE_V2,
    OrderStruct,
    order_hash,
    recover_order_signer,
)
from venuesim.polymarket.units import taker_fee, to_micro


def _types(d: dict[str, Any]) -> dict[str, type]:
    return {k: type(v) for k, v in d.items() if v is not None}


def _same_shape(ours: dict[str, Any], fixture: dict[str, Any], *, subset: bool = False) -> None:
    """Same keys (or the fixture's keys all present) with the same JSON types."""
    if subset:
        assert set(fixture) <= set(ours), set(fixture) - set(ours)
    else:
        assert set(ours) == set(fixture), (set(ours) ^ set(fixture))
    for k, t in _types(fixture).items():
        if ours.get(k) is not None:
            assert isinstance(ours[k], t) or (t is float and isinstance(ours[k], int)) or (
                t is int and isinstance(ours[k], float)), (k, ours[k], t)


def _gamma(sim: SimProcess) -> list[dict[str, Any]]:
    return list(httpx.get(f"{sim.urls['gamma']}/markets").json())


def test_gamma_markets_match_fixtures(live_sim: SimProcess) -> None:
    markets = _gamma(live_sim)
    updown = next(m for m in markets if m["slug"].startswith("btc-updown-15m"))
    fee_free = next(m for m in markets if not m["feesEnabled"] and not m["negRisk"])
    _same_shape(updown, load_fixture("gamma_market_crypto_twap.json"), subset=True)
    _same_shape(updown, load_fixture("gamma_market_fee_crypto.json"), subset=True)
    _same_shape(fee_free, load_fixture("gamma_market_fee_free.json"), subset=True)
    _same_shape(fee_free, load_fixture("gamma_market.json"), subset=True)  # doc-shaped, V1 fees
    for m in (updown, fee_free):
        assert len(json.loads(m["clobTokenIds"])) == 2  # JSON-encoded strings
        assert json.loads(m["outcomes"]) in (["Up", "Down"], ["Yes", "No"])
    assert updown["feeSchedule"] == {"exponent": 1, "rate": 0.07, "takerOnly": True,
                                     "rebateRate": 0.2}
    by_id = httpx.get(f"{live_sim.urls['gamma']}/markets/{updown['id']}").json()
    assert by_id["conditionId"] == updown["conditionId"]
    by_slug = httpx.get(f"{live_sim.urls['gamma']}/markets", params={"slug": updown["slug"]})
    assert [m["id"] for m in by_slug.json()] == [updown["id"]]


def test_gamma_neg_risk_event(live_sim: SimProcess) -> None:
    events = httpx.get(f"{live_sim.urls['gamma']}/events").json()
    neg = [e for e in events if e["negRisk"]]
    assert len(neg) == 1 and len(neg[0]["markets"]) == 3
    fixture = load_fixture("gamma_event.json")[0]
    core = {k: fixture[k] for k in ("id", "ticker", "slug", "title", "description", "startDate",
                                     "endDate", "active", "closed", "archived", "restricted",
                                     "enableOrderBook", "negRisk", "negRiskMarketID",
                                     "enableNegRisk", "markets", "tags")}
    _same_shape(neg[0], core, subset=True)
    for m in neg[0]["markets"]:
        assert m["negRisk"] is True and m["negRiskMarketID"] == neg[0]["negRiskMarketID"]
        _same_shape(m, {k: fixture["markets"][0][k] for k in (
            "id", "question", "conditionId", "slug", "outcomes", "outcomePrices", "clobTokenIds",
            "orderPriceMinTickSize", "orderMinSize", "negRisk", "negRiskMarketID",
            "groupItemTitle", "feesEnabled", "feeType", "acceptingOrders")}, subset=True)


def test_clob_rest_shapes(live_sim: SimProcess) -> None:
    m = next(x for x in _gamma(live_sim) if x["acceptingOrders"])
    yes = json.loads(m["clobTokenIds"])[0]
    book = httpx.get(f"{live_sim.clob}/book", params={"token_id": yes}).json()
    _same_shape(book, load_fixture("clob_book_response_empty_ask.json"))
    market = httpx.get(f"{live_sim.clob}/markets/{m['conditionId']}").json()
    _same_shape(market, load_fixture("clob_market_response.json"))
    assert httpx.get(f"{live_sim.clob}/tick-size", params={"token_id": yes}).json() == {
        "minimum_tick_size": m["orderPriceMinTickSize"]}
    assert httpx.get(f"{live_sim.clob}/version").json() == {"version": 2}


def test_private_rest_shapes(live_sim: SimProcess) -> None:
    client = ClobClient(host=live_sim.clob, chain_id=137, key=KEY0)
    client.set_api_creds(client.create_or_derive_api_key())
    m = next(x for x in _gamma(live_sim) if x["acceptingOrders"] and not x["negRisk"]
             and not x["feesEnabled"] and x["orderPriceMinTickSize"] == 0.01)
    yes = json.loads(m["clobTokenIds"])[0]
    resp = client.post_order(client.create_order(
        OrderArgsV2(token_id=yes, price=0.02, size=5.0, side="BUY")), OrderType.GTC)
    _same_shape(resp, load_fixture("http_order_response_ok.json"))
    page = client.get_open_orders()
    _same_shape(page[0], load_fixture("http_open_orders_page.json")["data"][0])
    cancel = client.cancel_order(OrderPayload(orderID=resp["orderID"]))
    _same_shape(cancel, load_fixture("http_cancel_response_failed.json"))
    # Fill against the house flow to get a trade.
    book = client.get_order_book(yes)
    ask = book["asks"][-1]["price"]
    taken = client.post_order(client.create_order(
        OrderArgsV2(token_id=yes, price=float(ask), size=5.0, side="BUY")), OrderType.FAK)
    assert taken["status"] == "matched"
    deadline = time.monotonic() + 60
    while True:  # settlement on the local chain: MINED sets the transaction hash
        trade = next(t for t in client.get_trades() if t["id"] in taken["tradeIDs"])
        if trade["status"] != "MATCHED" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    _same_shape(trade, load_fixture("http_trades_page.json")["data"][0])
    assert trade["status"] in ("MINED", "CONFIRMED") and trade["transaction_hash"].startswith("0x")
    bal = client.get_balance_allowance()
    # V1-era fixture has "allowance"; V2 returns "allowances" {spender: amount}
    assert set(bal) == {"balance", "allowances"} and bal["balance"].isdigit()
    assert "balance" in load_fixture("http_balance_allowance_collateral.json")


def test_v1_fixture_order_refused(sim: SimProcess) -> None:
    # http_signed_order.json is V1-shaped (taker/nonce/feeRateBps): the V2 venue refuses it.
    client = ClobClient(host=sim.clob, chain_id=137, key=KEY0)
    client.set_api_creds(client.create_or_derive_api_key())
    body = {"order": load_fixture("http_signed_order.json"), "owner": client.creds.api_key,
            "orderType": "GTC"}
    with pytest.raises(Exception, match="invalid order version"):
        client._post(f"{sim.clob}/order", headers=client._l2_headers(
            "POST", "/order", body=body, serialized_body=json.dumps(body, separators=(",", ":"))),
            data=json.dumps(body, separators=(",", ":")))


def test_signing_vectors_recover() -> None:
    vectors = load_fixture("v2_signing_vectors.json")
    for v in vectors["orders"]:
        o = v["post_order_body"]["order"]
        struct = OrderStruct(int(o["salt"]), o["maker"], o["signer"], int(o["tokenId"]),
                             int(o["makerAmount"]), int(o["takerAmount"]),
                             0 if o["side"] == "BUY" else 1, o["signatureType"],
                             int(o["timestamp"]), bytes(32), bytes(32))
        exchange = NEG_RISK_CTF_EXCHANGE_V2 if v["neg_risk"] else CTF_EXCHANGE_V2
        assert recover_order_signer(struct, o["signature"], exchange) == vectors["address"]
        other = CTF_EXCHANGE_V2 if v["neg_risk"] else NEG_RISK_CTF_EXCHANGE_V2
        assert recover_order_signer(struct, o["signature"], other) != vectors["address"]
        assert order_hash(struct, exchange) != order_hash(struct, other)


def test_fee_formula_matches_chain_fills() -> None:
    for row in load_fixture("chain_order_filled_taker_fees.json"):
        shares = int(row["taker_amount_filled"] if row["side"] == "BUY"
                     else row["maker_amount_filled"])
        fee = taker_fee(shares, to_micro(row["price"]), Decimal(row["fee_rate"]), 1)
        assert fee == int(row["fee"]), row


async def _collect(ws: aiohttp.ClientWebSocketResponse, want: set[str], seconds: float
                   ) -> dict[str, dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    async with asyncio.timeout(seconds):
        while not want <= set(seen):
            msg = await ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT or msg.data == "PONG":
                seen.setdefault("PONG", {}) if msg.data == "PONG" else None
                continue
            data = json.loads(msg.data)
            for item in data if isinstance(data, list) else [data]:
                seen.setdefault(item.get("event_type", "?"), item)
    return seen


async def test_ws_market_channel_shapes(live_sim: SimProcess) -> None:
    markets = _gamma(live_sim)
    assets = [t for m in markets if m["acceptingOrders"] for t in json.loads(m["clobTokenIds"])]
    async with aiohttp.ClientSession() as s, s.ws_connect(live_sim.urls["ws_market"]) as ws:
        await ws.send_str(json.dumps({"type": "market", "assets_ids": assets,
                                      "custom_feature_enabled": True}))
        await ws.send_str("PING")
        seen = await _collect(ws, {"book", "price_change", "last_trade_price", "best_bid_ask",
                                   "new_market", "market_resolved", "PONG"}, 20)
    _same_shape(seen["book"], load_fixture("ws_book_snapshot_captured.json"))
    _same_shape(seen["price_change"], load_fixture("ws_market_price_change_msg.json"))
    burst = load_fixture("ws_market_price_change_crossing_burst.json")
    _same_shape(seen["price_change"]["price_changes"][0], burst[1]["price_changes"][0])
    assert len(seen["price_change"]["price_changes"]) % 2 == 0  # both tokens per change
    _same_shape(seen["last_trade_price"], load_fixture("ws_market_last_trade_msg.json"))
    _same_shape(seen["best_bid_ask"], load_fixture("ws_market_best_bid_ask_msg.json"))
    _same_shape(seen["new_market"], load_fixture("ws_market_new_market_msg.json"))
    _same_shape(seen["market_resolved"], load_fixture("ws_market_resolved_msg.json"))


async def test_ws_user_channel_shapes(live_sim: SimProcess) -> None:
    client = ClobClient(host=live_sim.clob, chain_id=137, key=KEY0)
    creds = await asyncio.to_thread(client.create_or_derive_api_key)
    client.set_api_creds(creds)
    m = next(x for x in _gamma(live_sim) if x["acceptingOrders"] and not x["negRisk"]
             and not x["feesEnabled"] and x["orderPriceMinTickSize"] == 0.01)
    yes = json.loads(m["clobTokenIds"])[0]
    async with aiohttp.ClientSession() as s, s.ws_connect(live_sim.urls["ws_user"]) as ws:
        await ws.send_str(json.dumps({"type": "user", "auth": {
            "apiKey": creds.api_key, "secret": creds.api_secret,
            "passphrase": creds.api_passphrase}}))
        await asyncio.sleep(0.2)
        placed = await asyncio.to_thread(client.post_order, client.create_order(
            OrderArgsV2(token_id=yes, price=0.03, size=5.0, side="BUY")), OrderType.GTC)
        await asyncio.to_thread(client.cancel_order, OrderPayload(orderID=placed["orderID"]))
        book = await asyncio.to_thread(client.get_order_book, yes)
        await asyncio.to_thread(client.post_order, client.create_order(OrderArgsV2(
            token_id=yes, price=float(book["asks"][-1]["price"]), size=5.0, side="BUY")),
            OrderType.FAK)
        orders: dict[str, dict[str, Any]] = {}
        trades: dict[str, dict[str, Any]] = {}
        async with asyncio.timeout(15):
            while not ({"PLACEMENT", "CANCELLATION", "UPDATE"} <= set(orders)
                       and {"MATCHED", "MINED", "CONFIRMED"} <= set(trades)):
                item = json.loads((await ws.receive()).data)
                if item["event_type"] == "order":
                    orders.setdefault(item["type"], item)
                else:
                    trades.setdefault(item["status"], item)
    _same_shape(orders["PLACEMENT"], load_fixture("ws_user_order_placement.json"), subset=True)
    _same_shape(orders["CANCELLATION"], load_fixture("ws_user_order_cancellation.json"),
                subset=True)
    _same_shape(orders["UPDATE"], load_fixture("ws_user_order_matched.json"), subset=True)
    assert orders["PLACEMENT"]["maker_address"] == ADDR0.lower()
    for status in ("MATCHED", "CONFIRMED"):
        _same_shape(trades[status], load_fixture("ws_user_trade.json"), subset=True)
        assert set(trades[status]["maker_orders"][0]) >= set(
            load_fixture("ws_user_trade_full.json")["maker_orders"][0])
