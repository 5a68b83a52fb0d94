"""The official py-clob-client-v2 runs unchanged against the simulator."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pm_harness import ADDR0, KEY0, SimProcess
from py_clob_client_v2 import ClobClient
from py_clob_client_v2.clob_types import (
    MarketOrderArgsV2,
    OpenOrderParams,
    OrderArgsV2,
    OrderPayload,
    OrderType,
)
from py_clob_client_v2.exceptions import PolyApiException


def _open_market(sim: SimProcess, *, neg_risk: bool = False) -> dict[str, Any]:
    markets = httpx.get(f"{sim.urls['gamma']}/markets", params={"active": "true"}).json()
    for m in markets:
        if m["acceptingOrders"] and m["negRisk"] is neg_risk and not m["feesEnabled"]:
            return dict(m)
    raise AssertionError("no open market")


def _client(sim: SimProcess) -> ClobClient:
    client = ClobClient(host=sim.clob, chain_id=137, key=KEY0)
    client.set_api_creds(client.create_or_derive_api_key())
    return client


def test_official_client_round_trip(sim: SimProcess) -> None:
    client = _client(sim)
    again = ClobClient(host=sim.clob, chain_id=137, key=KEY0).create_or_derive_api_key()
    assert again.api_key == client.creds.api_key  # derive returns the same credentials
    market = _open_market(sim)
    yes = json.loads(market["clobTokenIds"])[0]
    book = client.get_order_book(yes)
    assert book["asset_id"] == yes and book["tick_size"] == "0.01"
    assert client.get_order_book_hash(dict(book)) == book["hash"]

    order = client.create_order(OrderArgsV2(token_id=yes, price=0.40, size=10.0, side="BUY"))
    resp = client.post_order(order, OrderType.GTC, post_only=True)
    assert resp["success"] is True and resp["status"] == "live"
    oid = resp["orderID"]

    listed = client.get_open_orders(OpenOrderParams(asset_id=yes))
    assert [o["id"] for o in listed] == [oid]
    assert listed[0]["price"] == "0.4000" and listed[0]["original_size"] == "10.0000"
    assert client.get_order_book(yes)["bids"][-1] == {"price": "0.4", "size": "10"}
    bal = client.get_balance_allowance()
    assert bal["balance"] == "1000000000"

    cancel = client.cancel_order(OrderPayload(orderID=oid))
    assert cancel == {"canceled": [oid], "not_canceled": {}}
    assert client.get_open_orders(OpenOrderParams(asset_id=yes)) == []
    again_cancel = client.cancel_order(OrderPayload(orderID=oid))
    assert again_cancel["not_canceled"] == {oid: "already canceled or matched"}


def test_official_client_fok_is_killed(sim: SimProcess) -> None:
    client = _client(sim)
    yes = json.loads(_open_market(sim)["clobTokenIds"])[0]
    # An empty ask side: a FOK BUY for $5 at 0.50 cannot fill and is killed.
    fok = client.create_market_order(MarketOrderArgsV2(token_id=yes, amount=5.0, side="BUY",
                                                       price=0.5, order_type=OrderType.FOK))
    with pytest.raises(PolyApiException) as exc:
        client.post_order(fok, OrderType.FOK)
    assert exc.value.status_code == 400
    assert "FOK orders are fully filled or killed" in str(exc.value.error_msg)
    assert client.get_open_orders() == []


def test_official_client_fills_against_resting_order(sim: SimProcess) -> None:
    client = _client(sim)
    market = _open_market(sim, neg_risk=False)
    yes, no = json.loads(market["clobTokenIds"])
    maker = client.post_order(client.create_order(
        OrderArgsV2(token_id=yes, price=0.30, size=20.0, side="BUY")), OrderType.GTC)
    # BUY NO at 0.70 crosses the BUY YES at 0.30: the venue mints the pair.
    taker = client.post_order(client.create_order(
        OrderArgsV2(token_id=no, price=0.70, size=5.0, side="BUY")), OrderType.FOK)
    assert taker["status"] == "matched" and len(taker["tradeIDs"]) == 1
    assert taker["takingAmount"] == "5" and taker["makingAmount"] == "3.5"
    trades = client.get_trades()
    mine = [t for t in trades if t["id"] == taker["tradeIDs"][0]]
    assert mine and mine[0]["maker_orders"][0]["order_id"] == maker["orderID"]
    assert client.get_order(maker["orderID"])["size_matched"] == "5.0000"
    client.cancel_all()
    assert client.get_open_orders() == []
    bal = client.get_balance_allowance()
    # 1000 - 0.30*5 (maker leg) - 0.70*5 (taker leg) = 995
    assert bal["balance"] == "995000000"
    assert ADDR0.lower() in httpx.get(f"{sim.clob}/_sim/stats").json()["balances"]
