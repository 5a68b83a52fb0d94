"""Start `python -m venuesim ibkr` on a free port and `trader --exchange ibkr` against it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[3]
TRADER_BIN = Path(os.environ.get("TRADER_BIN", REPO / "bin" / "trader"))
T = TypeVar("T")


@dataclass
class Sim:
    proc: subprocess.Popen[bytes]
    host: str
    port: int
    admin: str

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.admin}/_sim/stats", timeout=10) as r:
            out: dict[str, Any] = json.loads(r.read())
            return out

    def fault(self, body: dict[str, Any]) -> dict[str, Any]:
        req = urllib.request.Request(f"{self.admin}/_sim/faults", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            out: dict[str, Any] = json.loads(r.read())
            return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_sim() -> Sim:
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    proc = subprocess.Popen([sys.executable, "-m", "venuesim", "ibkr", "--host", "127.0.0.1",
                             "--port", "0", "--seed", "3"], stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    line = json.loads(proc.stdout.readline())
    host, port = line["urls"]["tws"].rsplit(":", 1)
    return Sim(proc, host, int(port), line["urls"]["admin"])


@dataclass
class Trader:
    proc: subprocess.Popen[bytes]
    sock: str
    log: Path

    def ctl(self, *args: str) -> dict[str, Any]:
        out = subprocess.run([str(TRADER_BIN), "ctl", "--json", "--socket", self.sock, *args],
                             capture_output=True, timeout=10, check=True)
        result: dict[str, Any] = json.loads(out.stdout)
        return result

    def state(self) -> str:
        try:
            return str(self.ctl("status")["states"]["ibkr"])
        except (subprocess.CalledProcessError, json.JSONDecodeError):
            return "?"

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def config(tmp: Path, sim: Sim) -> dict[str, Any]:
    cfg: dict[str, Any] = json.loads((REPO / "config" / "ibkr_sim.json").read_text())
    cfg["state_dir"] = str(tmp / "state")
    cfg["kill_file"] = str(tmp / "kill_switch")
    cfg["ipc"]["socket"] = str(tmp / "trader.sock")
    cfg["venues"]["ibkr"]["port"] = sim.port
    cfg["venues"]["ibkr"]["host"] = sim.host
    return cfg


def start_trader(tmp: Path, cfg: dict[str, Any]) -> Trader:
    path = tmp / "trader.json"
    path.write_text(json.dumps(cfg))
    log = tmp / "trader.log"
    with log.open("ab") as fh:
        proc = subprocess.Popen([str(TRADER_BIN), "--mode", "paper", "--exchange", "ibkr",
                                 "--config", str(path)], stdout=fh, stderr=subprocess.STDOUT)
    sock = cfg["ipc"]["socket"]
    deadline = time.monotonic() + 15
    while not os.path.exists(sock):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"trader did not start: {log.read_text()[-3000:]}")
        time.sleep(0.05)
    return Trader(proc, sock, log)


def wait_for(pred: Callable[[], T], timeout: float = 20.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met in {timeout} s")
        time.sleep(0.05)
