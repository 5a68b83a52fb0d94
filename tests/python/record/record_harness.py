"""Processes for the record tests: the real `trader` binary (TRADER_BIN) in paper mode and
`python -m recorder`, each started, killed -9 and restarted like an operator would."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
TRADER_BIN = Path(os.environ.get("TRADER_BIN", REPO / "bin" / "trader"))

# a third paper instrument without a random walk: the test's IPC client acts as its venue
CLIENT_SYM = "SOLUSDT"
CLIENT_INSTRUMENT = {
    "venue": "paper", "kind": "spot", "symbol": CLIENT_SYM, "price_scale": 2, "qty_scale": 3,
    "tick": "0.01", "lot": "0.001", "min_qty": "0.001", "min_notional": "1",
    "quote_ccy": "USDT", "usd_rate": "1",
}


def trader_config(tmp: Path, *, strategy: bool = True, redis_url: str | None = None,
                  client_instrument: bool = False) -> dict[str, Any]:
    cfg: dict[str, Any] = json.loads((REPO / "config" / "paper.json").read_text())
    cfg["state_dir"] = str(tmp / "state")
    cfg["kill_file"] = str(tmp / "kill_switch")
    cfg["ipc"]["socket"] = str(tmp / "trader.sock")
    cfg["log_level"] = "warn"
    # wide limits, no loss breaker: these tests are about the record, not about risk holds
    cfg["risk"] = {"profile": "wide", "global": {"loss_breaker": {"losses": 0}}}
    if not strategy:
        cfg["strategy"]["enabled"] = False
    if redis_url is not None:
        cfg["redis"] = {"url": redis_url, "kill_channel": "trader:kill"}
    if client_instrument:
        cfg["instruments"].append(CLIENT_INSTRUMENT)
    return cfg


def _wait_socket(path: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"trader exited {proc.returncode}: {log.read_text()[-3000:]}")
        if os.path.exists(path):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return
            except OSError:
                pass
            finally:
                s.close()
        time.sleep(0.02)
    raise AssertionError(f"trader did not start: {log.read_text()[-3000:]}")


@dataclass
class TraderProc:
    tmp: Path
    cfg: dict[str, Any]
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def sock(self) -> str:
        return str(self.cfg["ipc"]["socket"])

    @property
    def log(self) -> Path:
        return self.tmp / "trader.log"

    @property
    def kill_file(self) -> Path:
        return Path(self.cfg["kill_file"])

    def start(self, timeout: float = 20.0) -> None:
        config = self.tmp / "trader.json"
        config.write_text(json.dumps(self.cfg))
        with self.log.open("ab") as fh:
            self.proc = subprocess.Popen(
                [str(TRADER_BIN), "--mode", "paper", "--exchange", "paper", "--config",
                 str(config)], stdout=fh, stderr=subprocess.STDOUT)
        self.starts += 1
        _wait_socket(self.sock, self.proc, self.log, timeout)

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def ctl(self, *args: str) -> dict[str, Any]:
        out = subprocess.run([str(TRADER_BIN), "ctl", "--json", "--socket", self.sock, *args],
                             capture_output=True, timeout=20, check=False)
        if out.returncode != 0:
            raise AssertionError(f"ctl {args}: {out.returncode} {out.stderr!r}")
        result: dict[str, Any] = json.loads(out.stdout)
        return result


@dataclass
class RecorderProc:
    tmp: Path
    sock: str
    dsn: str
    redis_url: str | None = None
    proc: subprocess.Popen[bytes] | None = None
    extra: list[str] = field(default_factory=list)

    @property
    def log(self) -> Path:
        return self.tmp / "recorder.log"

    def start(self) -> None:
        args = [sys.executable, "-m", "recorder", "--socket", self.sock, "--dsn", self.dsn,
                *self.extra]
        if self.redis_url:
            args += ["--redis", self.redis_url]
        with self.log.open("ab") as fh:
            self.proc = subprocess.Popen(args, stdout=fh, stderr=subprocess.STDOUT)

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
