"""IBKR figures for `make bench`: `ibkr_decode` (TWS messages decoded per second by the C
decoder, every captured fixture round robin) and `ibkr_order_rtt` (placeOrder to orderStatus
Submitted through the C connector against the TWS simulator on loopback, p50/p99)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / "build" / "release" / "bin"
SHARED = Path(os.environ.get("SHARED_DIR", REPO.parent / "shared"))


def _run(*args: str) -> dict[str, Any]:
    out = subprocess.run([str(BIN / "ibkr_bench"), *args], capture_output=True, text=True,
                         timeout=600, check=True)
    parsed: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return parsed


def run(tmp: Path, quick: bool) -> list[dict[str, Any]]:
    del tmp
    results = [_run("decode", str(SHARED / "fixtures" / "ibkr" / "responses"),
                    "200000" if quick else "2000000")]
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    sim = subprocess.Popen([sys.executable, "-m", "venuesim", "ibkr", "--host", "127.0.0.1",
                            "--port", "0"], stdout=subprocess.PIPE, env=env)
    try:
        assert sim.stdout is not None
        ready = json.loads(sim.stdout.readline())
        host, port = ready["urls"]["tws"].rsplit(":", 1)
        rtt = _run("rtt", host, port, "40" if quick else "200")
        rtt["peer"] = "venuesim ibkr (Python, asyncio) on loopback"
        results.append(rtt)
    finally:
        sim.send_signal(signal.SIGTERM)
        sim.wait(timeout=10)
    return results


TARGETS = [
    ("ibkr_decode >= 1M msgs/s",
     lambda by: by.get("ibkr_decode", {}).get("ops_per_s", 0) >= 1_000_000),
]
