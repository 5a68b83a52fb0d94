"""WebSocket API errors and order placement, over a real connection."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from bn_harness import ED_KEY, HMAC_KEY, HMAC_SECRET, Sim, now_ms, sign_ed25519, sign_hmac


def signed(params: dict[str, Any], ed25519: bool = False) -> dict[str, Any]:
    params = {**params, "timestamp": params.get("timestamp", now_ms())}
    payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
    params["signature"] = sign_ed25519(payload) if ed25519 else sign_hmac(payload, HMAC_SECRET)
    return params


async def rpc(ws: aiohttp.ClientWebSocketResponse, method: str, params: dict[str, Any]
              ) -> Any:
    await ws.send_json({"id": method, "method": method, "params": params})
    while True:
        frame = json.loads((await ws.receive(timeout=5)).data)
        if frame.get("id") == method:
            return frame


async def test_ws_api_auth_errors_and_orders(http: aiohttp.ClientSession, quiet_sim: Sim
                                            ) -> None:
    async with http.ws_connect(quiet_sim.ws_api) as ws:
        reply = await rpc(ws, "userDataStream.subscribe", {})
        assert reply["status"] == 401 and reply["error"]["code"] == -1002
        bad = signed({"apiKey": HMAC_KEY})
        bad["signature"] = "0" * 64
        reply = await rpc(ws, "userDataStream.subscribe.signature", bad)
        assert reply["error"] == {"code": -1022, "msg": "Signature for this request is not "
                                                        "valid."}
        stale = signed({"apiKey": HMAC_KEY, "timestamp": now_ms() - 60_000})
        reply = await rpc(ws, "userDataStream.subscribe.signature", stale)
        assert reply["error"]["code"] == -1021
        reply = await rpc(ws, "session.logon", signed({"apiKey": HMAC_KEY}))
        assert reply["status"] == 401  # session logon is for Ed25519 keys only
        reply = await rpc(ws, "session.logon", signed({"apiKey": ED_KEY}, ed25519=True))
        assert reply["status"] == 200 and reply["result"]["apiKey"] == ED_KEY
        reply = await rpc(ws, "userDataStream.subscribe", {})
        assert reply["result"] == {"subscriptionId": 0}
        reply = await rpc(ws, "userDataStream.subscribe", {})
        assert reply["error"]["code"] == -2035
        reply = await rpc(ws, "order.place", {
            "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT_MAKER", "price": "1000.00",
            "quantity": "0.01000", "timestamp": now_ms()})
        assert reply["status"] == 200, reply
        order_id = reply["result"]["orderId"]
        assert {r["rateLimitType"] for r in reply["rateLimits"]} == {"ORDERS",
                                                                    "REQUEST_WEIGHT"}
        reply = await rpc(ws, "order.cancel", {"symbol": "BTCUSDT", "orderId": order_id,
                                               "timestamp": now_ms()})
        assert reply["result"]["status"] == "CANCELED"
        reply = await rpc(ws, "order.cancel", {"symbol": "BTCUSDT", "orderId": order_id,
                                               "timestamp": now_ms()})
        assert reply["error"] == {"code": -2011, "msg": "Unknown order sent."}
        reply = await rpc(ws, "userDataStream.unsubscribe", {})
        assert reply["result"] == {}
