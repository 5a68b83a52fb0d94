"""THE KEY TEST: the official binance-sdk-spot runs its order flow against the simulator
unchanged - signed new order, query, cancel, account, and the user data stream over the
WebSocket API - with an HMAC key and with an Ed25519 key."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import Any

import pytest
from binance_common.configuration import ConfigurationRestAPI, ConfigurationWebSocketAPI
from binance_common.errors import BadRequestError
from binance_sdk_spot.rest_api.models import (
    NewOrderNewOrderRespTypeEnum,
    NewOrderSideEnum,
    NewOrderTimeInForceEnum,
    NewOrderTypeEnum,
)
from binance_sdk_spot.spot import Spot
from bn_harness import ED_KEY, ED_PRIVATE_PEM, HMAC_KEY, HMAC_SECRET, Sim


def rest_client(sim: Sim, ed25519: bool) -> Spot:
    config = (ConfigurationRestAPI(api_key=ED_KEY, private_key=ED_PRIVATE_PEM,
                                   base_path=sim.rest, retries=0)
              if ed25519 else
              ConfigurationRestAPI(api_key=HMAC_KEY, api_secret=HMAC_SECRET,
                                   base_path=sim.rest, retries=0))
    return Spot(config_rest_api=config)


def order_flow(sim: Sim, ed25519: bool, client_id: str) -> dict[str, Any]:
    """Synchronous SDK calls (the REST client uses requests)."""
    client = rest_client(sim, ed25519).rest_api
    book = client.depth(symbol="ETHUSDT", limit=5).data()
    bid = Decimal(book.bids[0][0])
    price = float(bid - Decimal(5))
    placed = client.new_order(
        symbol="ETHUSDT", side=NewOrderSideEnum.BUY, type=NewOrderTypeEnum.LIMIT,
        time_in_force=NewOrderTimeInForceEnum.GTC, quantity=0.01, price=price,
        new_client_order_id=client_id,
        new_order_resp_type=NewOrderNewOrderRespTypeEnum.FULL)
    order = placed.data()
    weights = {(r.rateLimitType, r.interval): r.count for r in placed.rate_limits}
    queried = client.get_order(symbol="ETHUSDT", order_id=order.order_id).data()
    cancelled = client.delete_order(symbol="ETHUSDT", orig_client_order_id=client_id).data()
    account = client.get_account(omit_zero_balances=True).data()
    with pytest.raises(BadRequestError) as unknown:
        client.delete_order(symbol="ETHUSDT", order_id=order.order_id)
    return {"order": order, "queried": queried, "cancelled": cancelled, "account": account,
            "weights": weights, "unknown": unknown.value}


@pytest.mark.parametrize("ed25519", [False, True], ids=["hmac", "ed25519"])
async def test_sdk_rest_order_flow(quiet_sim: Sim, ed25519: bool,
                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    client_id = f"sdk-{'ed' if ed25519 else 'hm'}-1"
    out = await asyncio.to_thread(order_flow, quiet_sim, ed25519, client_id)
    order, queried, cancelled = out["order"], out["queried"], out["cancelled"]
    assert order.status == "NEW" and order.client_order_id == client_id
    assert order.fills == []
    assert queried.order_id == order.order_id and queried.status == "NEW"
    assert queried.is_working is True
    assert cancelled.status == "CANCELED" and cancelled.orig_client_order_id == client_id
    assert any(b.asset == "USDT" for b in out["account"].balances)
    assert out["weights"][("REQUEST_WEIGHT", "MINUTE")] >= 1
    assert out["weights"][("ORDERS", "SECOND")] >= 1
    assert "Unknown order sent." in str(out["unknown"])
    # The SDK logs a warning when a response does not fit its models: none expected.
    assert not [r for r in caplog.records if "did not match" in r.message
                or "Failed to parse" in r.message]


async def wait_for(events: list[Any], predicate: Any) -> Any:
    deadline = asyncio.get_running_loop().time() + 5.0
    while asyncio.get_running_loop().time() < deadline:
        for event in events:
            if predicate(event):
                return event
        await asyncio.sleep(0.02)
    raise AssertionError(f"no matching event in {events!r}")


def event_type(event: Any) -> str:
    inner = getattr(event, "actual_instance", event)
    return type(inner).__name__


@pytest.mark.parametrize("ed25519", [False, True], ids=["hmac-signature", "ed25519-logon"])
async def test_sdk_user_data_stream(quiet_sim: Sim, ed25519: bool,
                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    config = (ConfigurationWebSocketAPI(api_key=ED_KEY, private_key=ED_PRIVATE_PEM,
                                        stream_url=quiet_sim.ws_api)
              if ed25519 else
              ConfigurationWebSocketAPI(api_key=HMAC_KEY, api_secret=HMAC_SECRET,
                                        stream_url=quiet_sim.ws_api))
    connection = await Spot(config_ws_api=config).websocket_api.create_connection()
    try:
        if ed25519:
            logon = (await connection.session_logon()).data()
            assert logon.result.api_key == ED_KEY
            subscribed = await connection.user_data_stream_subscribe()
        else:
            subscribed = await connection.user_data_stream_subscribe_signature()
        events: list[Any] = []
        subscribed.stream.on("message", events.append)
        client_id = f"uds-{'ed' if ed25519 else 'hm'}"
        out = await asyncio.to_thread(order_flow, quiet_sim, ed25519, client_id)
        new = await wait_for(events, lambda e: event_type(e) == "ExecutionReport"
                             and e.actual_instance.x == "NEW")
        cancel = await wait_for(events, lambda e: event_type(e) == "ExecutionReport"
                                and e.actual_instance.x == "CANCELED")
        position = await wait_for(events, lambda e: event_type(e) == "OutboundAccountPosition")
        assert new.actual_instance.i == out["order"].order_id
        assert new.actual_instance.c == client_id
        assert client_id == cancel.actual_instance.C
        assert cancel.actual_instance.X == "CANCELED"
        assert {b.a for b in position.actual_instance.B} == {"USDT"}
    finally:
        await connection.close_connection(close_session=True)
    assert not [r for r in caplog.records if "Failed to parse" in r.message
                or "Unknown user data event" in r.message]
