"""Helpers for end-to-end tests of ./bin/trader: a real process, a real Unix
socket, real msgpack frames. The frame helper here is deliberately written
from proto/PROTOCOL.md alone (4-byte big-endian length + one msgpack map), so
these tests check the C server against the spec, not against our own client."""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack

REPO = Path(__file__).resolve().parents[3]
TRADER_BIN = Path(os.environ.get("TRADER_BIN", REPO / "bin" / "trader"))


class FrameClient:
    """A blocking client speaking raw frames."""

    def __init__(self, path: str, client: str = "e2e", hello: bool = True) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(path)
        self.unpacker = msgpack.Unpacker(raw=False)
        self.buf = b""
        self.next_id = 1
        if hello:
            self.send({"t": "hello", "v": 1, "client": client})
            reply = self.recv()
            assert reply["t"] == "hello_ok", reply

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, msg: dict[str, Any]) -> None:
        body = msgpack.packb(msg, use_bin_type=True)
        self.sock.sendall(struct.pack(">I", len(body)) + body)

    def recv(self) -> dict[str, Any]:
        """Next frame that is not a heartbeat. Raises ConnectionError on EOF."""
        while True:
            while len(self.buf) < 4 or len(self.buf) < 4 + struct.unpack(">I", self.buf[:4])[0]:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed by trader")
                self.buf += chunk
            n = struct.unpack(">I", self.buf[:4])[0]
            body, self.buf = self.buf[4 : 4 + n], self.buf[4 + n :]
            msg: dict[str, Any] = msgpack.unpackb(body, raw=False)
            if msg.get("t") != "hb":
                return msg

    def call(self, msg: dict[str, Any]) -> dict[str, Any]:
        msg = dict(msg)
        msg["id"] = self.next_id
        self.next_id += 1
        self.send(msg)
        while True:
            reply = self.recv()
            if reply.get("id") == msg["id"] or (reply["t"] == "error" and "id" not in reply):
                return reply

    def close(self) -> None:
        self.sock.close()


@dataclass
class Trader:
    proc: subprocess.Popen[bytes]
    sock: str
    state_dir: Path
    kill_file: Path
    config: Path
    log: Path

    def client(self, name: str = "e2e") -> FrameClient:
        return FrameClient(self.sock, name)

    def ctl(self, *args: str, check: bool = True) -> dict[str, Any]:
        out = subprocess.run(
            [str(TRADER_BIN), "ctl", "--socket", self.sock, "--json", *args],
            capture_output=True, timeout=10, check=False,
        )
        if check and out.returncode != 0:
            raise AssertionError(f"ctl {args} failed: {out.returncode} {out.stderr!r}")
        result: dict[str, Any] = json.loads(out.stdout)
        return result

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def base_config(tmp: Path, strategy: bool = False) -> dict[str, Any]:
    cfg: dict[str, Any] = json.loads((REPO / "config" / "paper.json").read_text())
    cfg["state_dir"] = str(tmp / "state")
    cfg["kill_file"] = str(tmp / "kill_switch")
    cfg["ipc"]["socket"] = str(tmp / "trader.sock")
    if not strategy:
        cfg["strategy"]["enabled"] = False
        cfg["venues"]["paper"]["walks"] = []
    return cfg


def start_trader(tmp: Path, cfg: dict[str, Any], *extra: str) -> Trader:
    config = tmp / "trader.json"
    config.write_text(json.dumps(cfg))
    log = tmp / "trader.log"
    sock = cfg["ipc"]["socket"]
    with log.open("ab") as fh:
        proc = subprocess.Popen(
            [str(TRADER_BIN), "--mode", "paper", "--exchange", "paper", "--config", str(config),
             *extra],
            stdout=fh, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"trader exited {proc.returncode}: {log.read_text()}")
        if os.path.exists(sock):
            try:
                FrameClient(sock, "probe").close()
                break
            except OSError:
                pass
        time.sleep(0.02)
    else:
        proc.kill()
        raise AssertionError(f"trader did not start: {log.read_text()}")
    return Trader(proc, sock, Path(cfg["state_dir"]), Path(cfg["kill_file"]), config, log)


def wait_for(pred: Any, timeout: float = 5.0, interval: float = 0.01) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
