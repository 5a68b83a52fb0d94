"""Start the Binance simulator and the trader (or the connector driver) as real processes and
talk to them over real sockets: HTTP admin hooks of the simulator, `trader ctl`, logs."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from Crypto.PublicKey import ECC

REPO = Path(__file__).resolve().parents[3]
TRADER_BIN = Path(os.environ.get("TRADER_BIN", REPO / "bin" / "trader"))


def _driver() -> Path:
    """The connector driver (bench/binance_bench.c): BINANCE_DRIVER_BIN, else the one built
    beside the trader (build/<dir>/bin), else the release build (./bin holds only trader)."""
    if "BINANCE_DRIVER_BIN" in os.environ:
        return Path(os.environ["BINANCE_DRIVER_BIN"])
    beside = TRADER_BIN.parent / "binance_bench"
    return beside if beside.exists() else REPO / "build" / "release" / "bin" / "binance_bench"


DRIVER_BIN = _driver()

HMAC_KEY = "e2eHmacKey000000000000000000000000000000000000000000000000000001"
HMAC_SECRET = "e2eHmacSecret0000000000000000000000000000000000000000000000000001"
ED_KEY = "e2eEd25519Key00000000000000000000000000000000000000000000000002"
# A throwaway key made per run; never a real credential.
ED_PRIVATE = ECC.generate(curve="ed25519")

T = TypeVar("T")


def wait_for(pred: Callable[[], T | None], timeout: float = 15.0, what: str = "condition",
             interval: float = 0.05) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what}: not met within {timeout} s")


@dataclass
class Sim:
    proc: subprocess.Popen[str]
    rest: str
    ws_streams: str
    ws_api: str

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              headers: dict[str, str] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.rest + path, data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              **(headers or {})})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def admin(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("POST", "/_sim/" + path, body)

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_sim/stats")
        return result

    def depth(self, symbol: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/api/v3/depth?symbol={symbol}&limit=100")
        return result

    def signed(self, method: str, path: str, params: dict[str, Any]) -> Any:
        """A signed request with the HMAC account (to look at the venue's side of things)."""
        query = urlencode({**params, "timestamp": int(time.time() * 1000)})
        sig = hmac.new(HMAC_SECRET.encode(), query.encode(), hashlib.sha256).hexdigest()
        return self._call(method, f"{path}?{query}&signature={sig}",
                          headers={"X-MBX-APIKEY": HMAC_KEY})


def start_sim(tmp: Path, *args: str) -> Sim:
    accounts = tmp / "accounts.json"
    balances = {"USDT": "10000", "BTC": "0.5", "ETH": "5"}
    accounts.write_text(json.dumps({"accounts": [
        {"api_key": HMAC_KEY, "hmac_secret": HMAC_SECRET, "balances": balances},
        {"api_key": ED_KEY, "ed25519_public_key_pem":
            ED_PRIVATE.public_key().export_key(format="PEM"), "balances": balances},
    ]}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "venuesim", "binance", "--host", "127.0.0.1", "--port", "0",
         "--accounts", str(accounts), *args],
        stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 20)
    if not ready:
        proc.kill()
        raise RuntimeError("simulator did not print its ready line within 20 s")
    doc = json.loads(proc.stdout.readline())
    urls = doc["urls"]
    return Sim(proc, urls["rest"], urls["ws_streams"], urls["ws_api"])


def quote(symbol: str, size: str, max_inventory: str, *, half_spread_bps: int = 50,
          tolerance_bps: int = 100, min_requote_ms: int = 200) -> dict[str, Any]:
    return {"venue": "binance", "symbol": symbol, "size": size, "max_inventory": max_inventory,
            "half_spread_bps": half_spread_bps, "skew_bps": 2, "tolerance_bps": tolerance_bps,
            "min_requote_ms": min_requote_ms}


def make_config(tmp: Path, sim: Sim, *, key: str = "hmac",
                quotes: list[dict[str, Any]] | None = None,
                binance: dict[str, Any] | None = None,
                btc_min_notional: str = "5") -> tuple[dict[str, Any], dict[str, str]]:
    """The committed config/binance_sim.json with this run's URLs, paths and credentials.
    Returns (config, environment for the trader)."""
    cfg: dict[str, Any] = json.loads((REPO / "config" / "binance_sim.json").read_text())
    cfg["state_dir"] = str(tmp / "state")
    cfg["kill_file"] = str(tmp / "kill_switch")
    cfg["ipc"]["socket"] = str(tmp / "trader.sock")
    cfg["instruments"] = [i for i in cfg["instruments"] if i["symbol"] == "BTCUSDT"]
    cfg["instruments"][0]["min_notional"] = btc_min_notional
    section = cfg["venues"]["binance"]
    section.update({"rest_url": sim.rest, "ws_streams_url": sim.ws_streams,
                    "ws_api_url": sim.ws_api})
    env = dict(os.environ)
    if key == "ed25519":
        pem = tmp / "ed25519.pem"
        pem.write_text(ED_PRIVATE.export_key(format="PEM"))
        pem.chmod(0o600)
        section["credentials"] = {"api_key_env": "BN_E2E_KEY", "ed25519_key_file": str(pem)}
        env["BN_E2E_KEY"] = ED_KEY
    else:
        section["credentials"] = {"api_key_env": "BN_E2E_KEY", "hmac_secret_env": "BN_E2E_SECRET"}
        env["BN_E2E_KEY"] = HMAC_KEY
        env["BN_E2E_SECRET"] = HMAC_SECRET if key == "hmac" else key
    section.update(binance or {})
    cfg["strategy"]["quotes"] = quotes if quotes is not None else [
        quote("BTCUSDT", "0.0001", "0.0002")]
    cfg["strategy"]["enabled"] = bool(cfg["strategy"]["quotes"])
    return cfg, env


@dataclass
class Trader:
    proc: subprocess.Popen[bytes]
    sock: str
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def ctl(self, *args: str) -> dict[str, Any]:
        out = subprocess.run([str(TRADER_BIN), "ctl", "--socket", self.sock, "--json", *args],
                             capture_output=True, timeout=10, check=False)
        if out.returncode != 0:
            raise AssertionError(f"ctl {args} failed: {out.returncode} {out.stderr!r}")
        result: dict[str, Any] = json.loads(out.stdout)
        return result

    def wait_log(self, pattern: str, timeout: float = 15.0, count: int = 1) -> list[str]:
        rx = re.compile(pattern)

        def found() -> list[str] | None:
            hits = [line for line in self.text().splitlines() if rx.search(line)]
            return hits if len(hits) >= count else None

        return wait_for(found, timeout, f"log line /{pattern}/ x{count}")

    def binance_state(self) -> tuple[str, str]:
        status = self.ctl("status")
        return status["states"]["binance"], status["connections"]["binance"]["state"]

    def wait_active(self, timeout: float = 20.0) -> None:
        wait_for(lambda: self.binance_state() == ("ACTIVE", "UP"), timeout, "binance ACTIVE/UP")

    def orders(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.ctl("orders")["orders"]
        return result

    def position(self, symbol: str) -> Decimal:
        for p in self.ctl("positions")["positions"]:
            if p["venue"] == "binance" and p["sym"] == symbol:
                return Decimal(str(p["qty"]))
        return Decimal(0)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def start_trader(tmp: Path, cfg: dict[str, Any], env: dict[str, str]) -> Trader:
    config = tmp / "trader.json"
    config.write_text(json.dumps(cfg))
    log = tmp / "trader.log"
    with log.open("ab") as fh:
        proc = subprocess.Popen(
            [str(TRADER_BIN), "--mode", "paper", "--exchange", "binance", "--config",
             str(config)], stdout=fh, stderr=subprocess.STDOUT, env=env)
    sock = cfg["ipc"]["socket"]

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"trader exited {proc.returncode}: {log.read_text()}")
        return os.path.exists(sock)

    wait_for(up, 10, "trader socket")
    return Trader(proc, sock, log)


def run_driver(tmp: Path, cfg: dict[str, Any], env: dict[str, str], *args: str,
               timeout: float = 30) -> list[dict[str, Any]]:
    """binance_bench order CONFIG ...: the connector in a process of its own; returns the
    JSON events it printed (connection changes and reports)."""
    config = tmp / "driver.json"
    config.write_text(json.dumps(cfg))
    out = subprocess.run([str(DRIVER_BIN), "order", str(config), *args], capture_output=True,
                         text=True, timeout=timeout, env=env, check=False)
    events = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    if not events:
        raise AssertionError(f"driver printed nothing: rc={out.returncode} {out.stderr}")
    return events


def best(sim: Sim, symbol: str) -> tuple[Decimal, Decimal]:
    d = sim.depth(symbol)
    return Decimal(d["bids"][0][0]), Decimal(d["asks"][0][0])


def bids_above(sim: Sim, symbol: str, px: Decimal) -> Decimal:
    """Resting bid quantity at prices better than px (what a sell at px eats first)."""
    return sum((Decimal(q) for p, q in sim.depth(symbol)["bids"] if Decimal(p) > px),
               Decimal(0))


def our_order(trader: Trader, side: str) -> dict[str, Any] | None:
    for o in trader.orders():
        if o["venue"] == "binance" and o["side"] == side and o["voi"]:
            return o
    return None
