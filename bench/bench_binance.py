"""Binance connector figures (bench/binance_bench.c):
- binance_book_apply: depth diff events applied to a 2 x 1000-level local book per second;
- binance_md_to_order: one combined-stream depth frame in -> parsed, book updated, mark, risk
  check, LIMIT_MAKER request built, signed and handed to libcurl (in process, no network);
- binance_order_rtt: post-only order -> ack against the Binance simulator over real HTTP and
  WebSocket (the simulator is Python: this measures it as much as the connector).
The simulator caps new orders at 50 per 10 s (as the venue does), so the RTT sample is small."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(os.environ.get("BINANCE_BENCH_BIN",
                          REPO / "build" / "release" / "bin" / "binance_bench"))

KEY = "benchHmacKey0000000000000000000000000000000000000000000000000001"
SECRET = "benchHmacSecret000000000000000000000000000000000000000000000001"

TARGETS = [
    ("binance_book_apply >= 1M diff events/s",
     lambda r: r["binance_book_apply"]["ops_per_s"] >= 1_000_000),
    ("binance_md_to_order p99 < 50 us", lambda r: r["binance_md_to_order"]["p99_ns"] < 50_000),
]


def _run(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    out = subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=300,
                         env=env, check=True)
    parsed: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return parsed


def _config(tmp: Path, rest: str, streams: str, api: str) -> Path:
    cfg: dict[str, Any] = json.loads((REPO / "config" / "binance_sim.json").read_text())
    cfg["state_dir"] = str(tmp / "bn-state")
    cfg["ipc"]["socket"] = str(tmp / "bn.sock")
    cfg["instruments"] = [i for i in cfg["instruments"] if i["symbol"] == "BTCUSDT"]
    cfg["venues"]["binance"].update({
        "rest_url": rest, "ws_streams_url": streams, "ws_api_url": api,
        "credentials": {"api_key_env": "BN_BENCH_KEY", "hmac_secret_env": "BN_BENCH_SECRET"}})
    cfg["strategy"] = {"enabled": False, "quotes": []}
    # limits wide enough that the risk engine never refuses a bench order
    cfg["risk"] = json.loads((REPO / "config" / "bench.json").read_text())["risk"]
    cfg["risk"]["venues"]["binance"] = cfg["risk"]["venues"]["paper"]
    path = tmp / "binance_bench.json"
    path.write_text(json.dumps(cfg))
    return path


def _rtt(tmp: Path, n: int) -> dict[str, Any]:
    accounts = tmp / "bn-accounts.json"
    accounts.write_text(json.dumps({"accounts": [
        {"api_key": KEY, "hmac_secret": SECRET, "balances": {"USDT": "100000", "BTC": "1"}}]}))
    sim = subprocess.Popen([sys.executable, "-m", "venuesim", "binance", "--host", "127.0.0.1",
                            "--port", "0", "--accounts", str(accounts), "--no-flow"],
                           stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert sim.stdout is not None
        ready, _, _ = select.select([sim.stdout], [], [], 20)
        if not ready:
            raise RuntimeError("Binance simulator did not start")
        urls = json.loads(sim.stdout.readline())["urls"]
        cfg = _config(tmp, urls["rest"], urls["ws_streams"], urls["ws_api"])
        env = {**os.environ, "BN_BENCH_KEY": KEY, "BN_BENCH_SECRET": SECRET}
        result = _run(["rtt", str(cfg), str(n)], env)
        result["note"] = "against the Python simulator on loopback"
        return result
    finally:
        sim.terminate()
        sim.wait(timeout=10)


def run(tmp: Path, quick: bool) -> list[dict[str, Any]]:
    k = 10 if quick else 1
    results = [_run(["book", str(2_000_000 // k)])]
    cfg = _config(tmp, "http://127.0.0.1:9", "ws://127.0.0.1:9", "ws://127.0.0.1:9/ws-api/v3")
    env = {**os.environ, "BN_BENCH_KEY": KEY, "BN_BENCH_SECRET": SECRET}
    results.append(_run(["md_to_order", str(cfg), str(20_000 // k)], env))
    results.append(_rtt(tmp, 20 if quick else 45))
    return results


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        for r in run(Path(d), "--quick" in sys.argv):
            print(json.dumps(r))
