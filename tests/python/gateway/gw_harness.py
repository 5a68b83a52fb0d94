"""Helpers for the gateway end-to-end tests: the real Polymarket simulator, a real
`trader` binary and the gateway itself, each as a subprocess on free paths/ports."""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import msgpack

REPO = Path(__file__).resolve().parents[3]
TRADER_BIN = Path(os.environ.get("TRADER_BIN", REPO / "bin" / "trader"))
PY = sys.executable
# Public Hardhat/Anvil test accounts (keys published in every EVM dev tool).
KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ADDR0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
KEY1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
ADDR1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
DEPOSIT_WALLET = "0x1111111111111111111111111111111111111111"


def wait_for(pred: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


class Sim:
    def __init__(self, tmp: Path, *args: str) -> None:
        accounts = tmp / "accounts.json"
        accounts.write_text(json.dumps({"wallets": [
            {"address": ADDR0, "collateral": "1000", "approved": True},
            {"address": ADDR1, "collateral": "1000", "approved": True},
            {"address": DEPOSIT_WALLET, "collateral": "1000", "approved": True}]}))
        self.proc = subprocess.Popen(
            [PY, "-m", "venuesim", "polymarket", "--host", "127.0.0.1", "--port", "0",
             "--accounts", str(accounts), *args],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("simulator did not start")
        self.urls: dict[str, str] = json.loads(line)["urls"]
        self.clob = self.urls["clob"]

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = httpx.get(f"{self.clob}/_sim/stats", timeout=10).json()
        return out

    def faults(self, **kw: Any) -> None:
        httpx.post(f"{self.clob}/_sim/faults", json=kw, timeout=10).raise_for_status()

    def markets(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = httpx.get(f"{self.urls['gamma']}/markets",
                                              params={"active": "true"}, timeout=10).json()
        return out

    def fee_free_market(self, tick: str = "0.01") -> dict[str, Any]:
        for m in self.markets():
            if m["acceptingOrders"] and not m["negRisk"] and not m["feesEnabled"] and \
                    str(m["orderPriceMinTickSize"]) == tick:
                return m
        raise AssertionError("no fee-free market")

    def env(self) -> dict[str, str]:
        return {"GATEWAY_CLOB_URL": self.clob, "GATEWAY_WS_MARKET_URL": self.urls["ws_market"],
                "GATEWAY_WS_USER_URL": self.urls["ws_user"],
                "GATEWAY_GAMMA_URL": self.urls["gamma"]}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class Trader:
    def __init__(self, tmp: Path) -> None:
        cfg: dict[str, Any] = json.loads((REPO / "config" / "paper.json").read_text())
        cfg["state_dir"] = str(tmp / "tstate")
        cfg["kill_file"] = str(tmp / "kill_switch")
        cfg["ipc"]["socket"] = str(tmp / "trader.sock")
        cfg["strategy"]["enabled"] = False
        cfg["venues"]["paper"]["walks"] = []
        self.cfg = cfg
        self.sock = cfg["ipc"]["socket"]
        self.kill_file = Path(cfg["kill_file"])
        self.config = tmp / "trader.json"
        self.config.write_text(json.dumps(cfg))
        self.log = tmp / "trader.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        with self.log.open("ab") as fh:
            self.proc = subprocess.Popen(
                [str(TRADER_BIN), "--mode", "paper", "--exchange", "paper", "--config",
                 str(self.config)], stdout=fh, stderr=subprocess.STDOUT)
        wait_for(lambda: os.path.exists(self.sock) and _probe(self.sock), 10)

    def ctl(self, *args: str) -> dict[str, Any]:
        out = subprocess.run([str(TRADER_BIN), "ctl", "--socket", self.sock, "--json", *args],
                             capture_output=True, timeout=10, check=True)
        res: dict[str, Any] = json.loads(out.stdout)
        return res

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _probe(path: str) -> bool:
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(path)
        body = msgpack.packb({"t": "hello", "v": 1, "client": "probe"})
        s.sendall(struct.pack(">I", len(body)) + body)
        ok = len(s.recv(4)) == 4
        s.close()
        return ok
    except OSError:
        return False


def write_config(tmp: Path, trader: Trader, *, extra: str = "", quote: str = "",
                 discovery: str = "", wallet: str = "", live: bool = False,
                 timing: str = "") -> Path:
    path = tmp / "gateway.toml"
    tdefaults = {"ws_ping_s": "2", "ws_silent_s": "6", "mark_interval_s": "1"}
    for line in timing.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            tdefaults[k.strip()] = v.strip()
    timing = "\n".join(f"{k} = {v}" for k, v in tdefaults.items())
    path.write_text(f"""
live = {"true" if live else "false"}
log_level = "info"
{extra}
[venue]
clob_url = "http://placeholder"
ws_market_url = "ws://placeholder"
ws_user_url = "ws://placeholder"
gamma_url = "http://placeholder"
chain_id = 137
[wallet]
{wallet}
[trader]
socket = "{trader.sock}"
hb_timeout_s = 3.0
[discovery]
rescan_s = 60
crypto_15m = false
fee_free = true
max_markets = 1
{discovery}
[quote]
size = "5"
{quote}
[records]
jsonl = "{tmp / 'records.jsonl'}"
book_snapshot_s = 1
[control]
socket = "{tmp / 'gw.sock'}"
kill_file = "{trader.kill_file}"
log_file = "{tmp / 'gateway.log'}"
[timing]
{timing}
""")
    return path


class Gateway:
    def __init__(self, tmp: Path, config: Path, sim: Sim, mode: str, *extra: str,
                 env: dict[str, str] | None = None) -> None:
        self.tmp = tmp
        self.config = config
        e = dict(os.environ)
        e.update(sim.env())
        e["POLY_PRIVATE_KEY"] = KEY0
        e.update(env or {})
        e["PYTHONPATH"] = str(REPO / "python")
        self.env = e
        self.stderr = tmp / "gateway.stderr"
        with self.stderr.open("ab") as fh:
            self.proc = subprocess.Popen([PY, "-m", "gateway", "--mode", mode, "--config",
                                          str(config), *extra], stdout=fh, stderr=fh,
                                         env=e, cwd=REPO)

    def verb(self, verb: str) -> dict[str, Any]:
        if self.proc.poll() is not None:
            raise AssertionError(f"gateway exited {self.proc.returncode}: {self.logs()[-2000:]}")
        json_flag = ["--json"] if verb == "status" else []
        out = subprocess.run([PY, "-m", "gateway", verb, "--config", str(self.config),
                              *json_flag],
                             capture_output=True, timeout=15, env=self.env, cwd=REPO, check=False)
        if out.returncode != 0:
            return {"error": out.stderr.decode(), "rc": out.returncode}
        res: dict[str, Any] = json.loads(out.stdout)
        return res

    def status_table(self) -> str:
        """`python -m gateway status` as the operator sees it."""
        out = subprocess.run([PY, "-m", "gateway", "status", "--config", str(self.config)],
                             capture_output=True, timeout=15, env=self.env, cwd=REPO, check=True)
        return out.stdout.decode()

    def status(self) -> dict[str, Any]:
        return self.verb("status")

    def logs(self) -> str:
        return self.stderr.read_text(errors="replace")

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
