"""What the simulator sends, through the connector's own C parsers (binance_bench parse), next to
the docs fixtures: each message type the connector reads carries the fixture's fields and parses.
(executionReports are parsed by the trader in test_binance_connector.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from bn_e2e import DRIVER_BIN, REPO, Sim, best, start_sim

FIXTURES = Path(os.environ.get("SHARED_DIR", REPO.parent / "shared")) / "fixtures" / "binance"


def fixture(rel: str) -> Any:
    return json.loads((FIXTURES / "spot" / rel).read_text())


def c_parse(kind: str, doc: Any) -> dict[str, Any]:
    out = subprocess.run([str(DRIVER_BIN), "parse", kind], input=json.dumps(doc),
                         capture_output=True, text=True, timeout=10, check=False)
    assert out.returncode == 0, f"C parser refused {kind}: {json.dumps(doc)[:300]}"
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def has_fields(doc: dict[str, Any], fixture_doc: dict[str, Any]) -> None:
    missing = set(fixture_doc) - set(doc)
    assert not missing, f"simulator output lacks {sorted(missing)}"


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Sim]:
    s = start_sim(tmp_path, "--seed", "5", "--no-flow")
    yield s
    s.stop()


def test_simulator_output_parses_in_the_connector(sim: Sim) -> None:
    depth = sim.depth("BTCUSDT")
    has_fields(depth, fixture("market_data_json/spot_market_depth.json"))
    parsed = c_parse("depth", depth)
    assert parsed["last_id"] == depth["lastUpdateId"] and parsed["bids"] == len(depth["bids"])

    info = sim._call("GET", "/api/v3/exchangeInfo?symbol=BTCUSDT")
    sym = info["symbols"][0]
    has_fields(sym, fixture("http_json/notional_range.json"))
    assert c_parse("filters", sym) == {"tick": 1, "step": 1, "min_notional": 500_000_000,
                                       "limit_maker": True}

    bid, ask = best(sim, "BTCUSDT")
    placed = sim.signed("POST", "/api/v3/order", {
        "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
        "quantity": "0.0001", "price": str(bid - Decimal(100)), "newClientOrderId": "shape1",
        "newOrderRespType": "RESULT"})
    assert c_parse("order", placed)["cid"] == "shape1"
    queried = sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT",
                                                  "origClientOrderId": "shape1"})
    has_fields(queried, fixture("http_json/order_response.json"))
    assert c_parse("order", queried)["status"] == "NEW"
    opened = sim.signed("GET", "/api/v3/openOrders", {"symbol": "BTCUSDT"})
    has_fields(opened[0], fixture("http_json/all_orders_response.json")[0])
    assert c_parse("order", opened[0])["order_id"] == placed["orderId"]
    cancelled = sim.signed("DELETE", "/api/v3/order", {"symbol": "BTCUSDT",
                                                       "origClientOrderId": "shape1"})
    has_fields(cancelled, fixture("http_json/cancel_order_response.json"))
    assert c_parse("order", cancelled) == {"order_id": placed["orderId"], "cid": "shape1",
                                           "status": "CANCELED", "executed": 0}

    taken = sim.signed("POST", "/api/v3/order", {
        "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "IOC",
        "quantity": "0.0002", "price": str(ask), "newOrderRespType": "FULL"})
    has_fields(taken, fixture("http_json/new_order_full_response.json"))
    trades = sim.signed("GET", "/api/v3/myTrades", {"symbol": "BTCUSDT",
                                                    "orderId": taken["orderId"]})
    has_fields(trades[0], fixture("http_json/account_trades_response.json")[0])
    t = c_parse("trade", trades[0])
    assert t["order_id"] == taken["orderId"] and t["qty"] == 20 and t["fee_asset"] == "BTC"

    account = sim.signed("GET", "/api/v3/account", {})
    has_fields(account, fixture("http_json/account_response.json"))
    assert c_parse("balances", account)["balances"] >= 2

    try:
        sim.signed("POST", "/api/v3/order", {
            "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT_MAKER", "quantity": "0.0001",
            "price": str(ask)})
        raise AssertionError("a crossing LIMIT_MAKER was accepted")
    except urllib.error.HTTPError as exc:
        assert c_parse("error", json.loads(exc.read())) == {"code": -2010}
