"""Polymarket gateway figures for `make bench`, against the simulator and a real trader:

- `poly_tick_to_cancel`: a market-channel frame that makes one of our quotes stale (another
  participant moves the micro-price by several ticks) to the cancel request's headers on
  the wire (aiohttp's request-headers-sent hook), measured inside the gateway in live mode.
- `poly_order_rtt`: check with trader + EIP-712 sign + POST /order(s) + the venue's reply,
  for each placement round (two orders per round: the bid and the offer).
The gateway runs as in production (`python -m gateway --mode live` on uvloop); the figures
are read from its control socket (`python -m gateway metrics`).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "python" / "gateway"))
sys.path.insert(0, str(REPO / "python"))
os.environ.setdefault("TRADER_BIN", str(REPO / "build" / "release" / "bin" / "trader"))

from gw_harness import Gateway, Sim, Trader, wait_for, write_config  # noqa: E402
from venue_helpers import Ours, make_book, tokens  # noqa: E402


def _open(ours: Ours) -> list[dict[str, Any]]:
    """Our open orders; [] when the simulator's rate limit answers 429 (polled again)."""
    try:
        out: list[dict[str, Any]] = ours.open_orders()
        return out
    except Exception:   # PolyApiException 429: the poll is too eager, not the gateway
        time.sleep(0.05)
        return []


def _metrics(gw: Gateway) -> dict[str, Any]:
    out: dict[str, Any] = gw.verb("metrics")
    return out


def run(tmp: Path, quick: bool) -> list[dict[str, Any]]:
    n = 40 if quick else 300
    work = tmp / "gateway_bench"
    work.mkdir(parents=True, exist_ok=True)
    sim = Sim(work, "--seed", "7", "--no-flow")
    trader: Trader | None = None
    gw: Gateway | None = None
    try:
        trader = Trader(work)
        # no order-rate / cancel-to-fill throttles: the bench churns quotes on purpose
        cfg = trader.cfg
        cfg["risk"]["venues"] = {"polymarket": {"orders_per_window": 0,
                                                "max_cancel_fill_ratio": "0"}}
        trader.stop()
        trader.config.write_text(json.dumps(cfg))
        trader.start()
        market = sim.fee_free_market()
        other = make_book(sim, market)
        yes, _no = tokens(market)
        gcfg = write_config(work, trader, live=True, quote="requote_ms = 0",
                            discovery=f'condition_ids = ["{market["conditionId"]}"]')
        gw = Gateway(work, gcfg, sim, "live", "--confirm-live")
        ours = Ours(sim)
        wait_for(lambda: len(ours.open_orders()) == 2, 30)
        t0 = time.monotonic()
        for _ in range(n):
            # a big bid at 0.50 pulls the micro-price up 2+ ticks: our 0.48 bid is stale
            placed = other.order(yes, "BUY", 0.50, 200)
            # (our own quotes move the micro-price too: the bid settles at 0.50 or at 0.49,
            # one tick off being within the quoter's tolerance; either is a moved quote)
            wait_for(lambda: any(float(o["price"]) >= 0.49 and o["asset_id"] == yes
                                 for o in _open(ours)), 10, 0.005)
            # and back: our bid is stale again (it settles at 0.48 or 0.47)
            other.c.cancel_orders([placed["orderID"]])
            wait_for(lambda: any(float(o["price"]) <= 0.48 and o["asset_id"] == yes
                                 for o in _open(ours)), 10, 0.005)
        elapsed = time.monotonic() - t0
        m = _metrics(gw)
    finally:
        if gw is not None:
            gw.stop()
        if trader is not None:
            trader.stop()
        sim.stop()
    peer = "venuesim polymarket (Python, aiohttp) on loopback; gateway on uvloop"
    tc, rtt = m["tick_to_cancel"], m["order_rtt"]
    sign = m.get("sign", {})
    return [
        {"name": "poly_tick_to_cancel", "p50_ns": tc.get("p50_ns"), "p99_ns": tc.get("p99_ns"),
         "ops_per_s": round(tc.get("n", 0) / elapsed) if elapsed else None, "n": tc.get("n"),
         "peer": peer},
        {"name": "poly_order_rtt", "p50_ns": rtt.get("p50_ns"), "p99_ns": rtt.get("p99_ns"),
         "ops_per_s": round(rtt.get("n", 0) / elapsed) if elapsed else None, "n": rtt.get("n"),
         "sign_p50_ns": sign.get("p50_ns"), "check_p50_ns": m.get("check", {}).get("p50_ns"),
         "peer": peer},
    ]


TARGETS = [
    ("poly_tick_to_cancel p99 < 5 ms",
     lambda by: (by.get("poly_tick_to_cancel", {}).get("p99_ns") or 1e18) < 5_000_000),
]


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        for r in run(Path(d), "--quick" in sys.argv):
            print(json.dumps(r))
