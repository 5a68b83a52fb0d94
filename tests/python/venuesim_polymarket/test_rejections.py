"""Every refusal the issue names, each with the venue's own error text."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from pm_harness import ADDR1, KEY0, KEY1, SimProcess
from py_clob_client_v2 import ClobClient
from py_clob_client_v2.clob_types import ApiCreds, CreateOrderOptions, OrderArgsV2, RequestArgs
from py_clob_client_v2.headers.headers import create_level_1_headers, create_level_2_headers
from py_clob_client_v2.order_utils.model.order_data_v1 import order_to_json_v1
from py_clob_client_v2.order_utils.model.order_data_v2 import order_to_json_v2
from py_clob_client_v2.signer import Signer


def _market(sim: SimProcess) -> tuple[str, str]:
    for m in httpx.get(f"{sim.urls['gamma']}/markets").json():
        if m["acceptingOrders"] and not m["negRisk"] and m["orderPriceMinTickSize"] == 0.01:
            yes, no = json.loads(m["clobTokenIds"])
            return yes, no
    raise AssertionError("no open market")


def _creds(sim: SimProcess, key: str) -> ApiCreds:
    return ClobClient(host=sim.clob, chain_id=137, key=key).create_or_derive_api_key()


def _post(sim: SimProcess, key: str, creds: ApiCreds, path: str, body: Any, *,
          ts: int | None = None, method: str = "POST") -> httpx.Response:
    text = json.dumps(body, separators=(",", ":"))
    headers = create_level_2_headers(Signer(key, 137), creds,
                                     RequestArgs(method=method, request_path=path, body=body,
                                                 serialized_body=text), timestamp=ts)
    return httpx.request(method, sim.clob + path, headers=headers, content=text)


def _order(key: str, token: str, price: float, size: float, *, side: str = "BUY",
           tick: str = "0.01") -> Any:
    client = ClobClient(host="http://unused", chain_id=137, key=key)
    return client.builder.build_order(OrderArgsV2(token_id=token, price=price, size=size,
                                                  side=side),
                                      CreateOrderOptions(tick_size=tick, neg_risk=False))


def _error(resp: httpx.Response) -> str:
    return str(resp.json()["error"])


def test_bad_l1_signature(sim: SimProcess) -> None:
    headers = create_level_1_headers(Signer(KEY0, 137))
    headers["POLY_ADDRESS"] = ADDR1  # signed by account 0, claims account 1
    r = httpx.post(f"{sim.clob}/auth/api-key", headers=headers)
    assert r.status_code == 401 and _error(r) == "Invalid L1 Request headers"


def test_bad_l2_hmac_and_stale_timestamp(sim: SimProcess) -> None:
    creds = _creds(sim, KEY0)
    wrong = ApiCreds(creds.api_key, "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0cw==",
                     creds.api_passphrase)
    r = _post(sim, KEY0, wrong, "/orders", [])
    assert r.status_code == 401 and _error(r) == "Unauthorized/Invalid api key"
    r = _post(sim, KEY0, creds, "/orders", [], ts=int(time.time()) - 3600)
    assert r.status_code == 401 and _error(r) == "Unauthorized/Invalid api key"
    r = _post(sim, KEY0, creds, "/orders", [])  # the same request, fresh: auth passes
    assert r.status_code == 400 and _error(r) == "Invalid order payload"


def test_order_signed_by_another_key(sim: SimProcess) -> None:
    creds = _creds(sim, KEY0)
    yes, _ = _market(sim)
    body = order_to_json_v2(_order(KEY1, yes, 0.2, 10), creds.api_key, "GTC")
    r = _post(sim, KEY0, creds, "/order", body)
    assert r.status_code == 400
    assert _error(r) == "the order signer address has to be the address of the API KEY"
    tampered = order_to_json_v2(_order(KEY0, yes, 0.2, 10), creds.api_key, "GTC")
    tampered["order"]["makerAmount"] = "3000000"  # signature no longer matches
    r = _post(sim, KEY0, creds, "/order", tampered)
    assert r.status_code == 400 and _error(r) == "invalid signature"


def test_v1_shaped_order(sim: SimProcess) -> None:
    creds = _creds(sim, KEY0)
    yes, _ = _market(sim)
    client = ClobClient(host="http://unused", chain_id=137, key=KEY0)
    v1 = client.builder.build_order(OrderArgsV2(token_id=yes, price=0.2, size=10, side="BUY"),
                                    CreateOrderOptions(tick_size="0.01", neg_risk=False),
                                    version=1, fee_rate_bps=0)
    r = _post(sim, KEY0, creds, "/order", order_to_json_v1(v1, creds.api_key, "GTC"))
    assert r.status_code == 400
    assert _error(r) == "invalid order version, please use the latest clob-client"


def test_off_tick_and_min_size(sim: SimProcess) -> None:
    creds = _creds(sim, KEY0)
    yes, _ = _market(sim)
    off = order_to_json_v2(_order(KEY0, yes, 0.205, 10, tick="0.001"), creds.api_key, "GTC")
    r = _post(sim, KEY0, creds, "/order", off)
    assert r.status_code == 400 and "breaks minimum tick size rule: 0.01" in _error(r)
    assert _error(r).startswith("order 0x") and "is invalid. Price (0.205) breaks" in _error(r)
    small = order_to_json_v2(_order(KEY0, yes, 0.2, 4), creds.api_key, "GTC")
    r = _post(sim, KEY0, creds, "/order", small)
    assert r.status_code == 400 and _error(r).endswith("Size (4) lower than the minimum: 5")


def test_crossing_post_only(sim: SimProcess) -> None:
    creds = _creds(sim, KEY0)
    yes, no = _market(sim)
    rest = _post(sim, KEY0, creds, "/order",
                 order_to_json_v2(_order(KEY0, yes, 0.25, 10), creds.api_key, "GTC"))
    assert rest.status_code == 200, rest.text
    # SELL YES at 0.25 would cross our own bid.
    cross = order_to_json_v2(_order(KEY0, no, 0.75, 10), creds.api_key, "GTC", post_only=True)
    r = _post(sim, KEY0, creds, "/order", cross)
    assert r.status_code == 400 and _error(r) == "invalid post-only order: order crosses book"
    _post(sim, KEY0, creds, "/cancel-all", None, method="DELETE")


def test_insufficient_allowance(sim: SimProcess) -> None:
    creds = _creds(sim, KEY1)  # funded, not approved
    yes, _ = _market(sim)
    r = _post(sim, KEY1, creds, "/order",
              order_to_json_v2(_order(KEY1, yes, 0.2, 10), creds.api_key, "GTC"))
    assert r.status_code == 400 and "not enough balance / allowance" in _error(r)
    # observed venue shape: "...: the balance is not enough -> balance: X, order amount: Y"
    assert _error(r) == ("not enough balance / allowance: the allowance is not enough -> "
                         "allowance: 0, order amount: 2000000")


def test_sixteen_order_batch(sim: SimProcess) -> None:
    creds = _creds(sim, KEY0)
    yes, _ = _market(sim)
    batch = [order_to_json_v2(_order(KEY0, yes, 0.1, 5 + i), creds.api_key, "GTC")
             for i in range(16)]
    r = _post(sim, KEY0, creds, "/orders", batch)
    assert r.status_code == 400 and "max allowed: 15" in _error(r)
    r = _post(sim, KEY0, creds, "/orders", batch[:15])
    results = r.json()
    assert r.status_code == 200 and len(results) == 15
    assert all(x["success"] and x["status"] == "live" for x in results)
    stats = httpx.get(f"{sim.clob}/_sim/stats").json()
    assert stats["orders"]["rejected_by_reason"]
    _post(sim, KEY0, creds, "/cancel-all", None, method="DELETE")
