"""Shared fixtures: a real simulator process on free ports, and a raw TWS-protocol client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import struct
import subprocess
import sys
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

_SHARED = Path(__file__).resolve().parents[3].parent / "shared"
FIXTURE_DIR = Path(os.environ.get("SHARED_DIR", _SHARED)) / "fixtures" / "ibkr" / "responses"


@dataclass
class SimProcess:
    proc: subprocess.Popen[str]
    host: str
    port: int
    admin: str

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.admin}/_sim/stats", timeout=5) as resp:
            data: dict[str, Any] = json.load(resp)
            return data

    def post_faults(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        req = urllib.request.Request(f"{self.admin}/_sim/faults", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"},
                                     method="POST")
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return resp.status, json.load(resp)
        except urllib.error.HTTPError as exc:
            return exc.code, json.load(exc)


def start_sim(*extra: str) -> SimProcess:
    proc = subprocess.Popen([sys.executable, "-m", "venuesim", "ibkr", "--port", "0",
                             "--seed", "7", *extra],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = json.loads(proc.stdout.readline())
    assert line["venue"] == "ibkr" and line["ready"] is True
    host, port = line["urls"]["tws"].rsplit(":", 1)
    return SimProcess(proc, host, int(port), line["urls"]["admin"])


def stop_sim(sim: SimProcess) -> None:
    sim.proc.terminate()
    try:
        sim.proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        sim.proc.kill()
        sim.proc.wait()


@pytest.fixture(scope="module")
def sim() -> Iterator[SimProcess]:
    """One simulator per test module; tests keep apart by using distinct client ids."""
    s = start_sim("--speed", "5")
    yield s
    stop_sim(s)


@pytest.fixture
def fresh_sim() -> Iterator[Callable[..., SimProcess]]:
    """A simulator of the test's own, with extra command-line arguments."""
    started: list[SimProcess] = []

    def make(*extra: str) -> SimProcess:
        s = start_sim(*extra)
        started.append(s)
        return s

    yield make
    for s in started:
        stop_sim(s)


class RawClient:
    """The TWS wire spoken by hand: what a client that is not ib_async sends and sees."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.server_version = 0

    @classmethod
    async def open(cls, sim: SimProcess) -> RawClient:
        reader, writer = await asyncio.open_connection(sim.host, sim.port)
        return cls(reader, writer)

    def send_raw(self, data: bytes) -> None:
        self.writer.write(data)

    def send(self, *fields: object) -> None:
        payload = b"".join(str(f).encode() + b"\0" for f in fields)
        self.writer.write(struct.pack(">I", len(payload)) + payload)

    async def handshake(self, low: int = 100, high: int = 176) -> list[str]:
        body = f"v{low}..{high}".encode()
        self.writer.write(b"API\0" + struct.pack(">I", len(body)) + body)
        reply = await self.recv()
        self.server_version = int(reply[0])
        return reply

    async def connect(self, client_id: int) -> list[list[str]]:
        """Handshake + START_API; returns the messages up to the last farm message."""
        await self.handshake()
        self.send(71, 2, client_id, "")
        return await self.recv_until(lambda m: m[0] == "4" and m[3] == "2158")

    async def recv(self, within: float = 5.0) -> list[str]:
        header = await asyncio.wait_for(self.reader.readexactly(4), within)
        (length,) = struct.unpack(">I", header)
        payload = await asyncio.wait_for(self.reader.readexactly(length), within)
        assert payload.endswith(b"\0"), payload
        return payload.decode("ascii").split("\0")[:-1]

    async def recv_until(self, done: Callable[[list[str]], bool],
                         within: float = 5.0) -> list[list[str]]:
        out: list[list[str]] = []
        while True:
            msg = await self.recv(within)
            out.append(msg)
            if done(msg):
                return out

    async def at_eof(self, within: float = 5.0) -> bool:
        """True when the server closes the connection (after any bytes still in flight)."""
        try:
            while await asyncio.wait_for(self.reader.read(65536), within):
                pass
        except ConnectionError:
            return True
        return True

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


def stock_lmt_order_fields(order_id: int, action: str, qty: str, price: str, *,
                           unset: str = "", tif: str = "DAY") -> list[object]:
    """PLACE_ORDER at server 176 for a plain stock LMT order, IBAPI's 115-field layout.

    `unset` is the spelling used for unset doubles ("", "1.7976931348623157E308" or
    "1.7976931348623157e+308") so each spelling can be sent."""
    u = unset
    imax = 2147483647
    return [
        3, order_id, 0, "AAPL", "STK", "", 0.0, "", "", "SMART", "", "USD", "", "",  # 1-13
        "", "", action, qty, "LMT", price, u, tif, "", "", "", 0, "", 1, 0,          # 14-28
        0, 0, 0, 0, 0, 0, "", 0, "", "", "", "", "", "", "",                          # 29-43
        0, "", -1, 0, "", "", 0, "", u, 0, 0, "", 0, u, u, u, u, u, 0, u, imax,      # 44-64
        "", u, 0, 0, u, u, imax, imax, u, "", "", "", "", 0, "", "", 0, 0, "", "",   # 65-84
        0, "", 0, 0, 0, 0, "", u, u, u, u, u, 0, "", "", "", u, "", "", "", "",      # 85-105
        0, 0, 0, "", imax, imax, 0, "", "",                                          # 106-114
    ]


@pytest.fixture
def raw_client() -> Callable[[SimProcess], Awaitable[RawClient]]:
    return RawClient.open


@pytest.fixture
def lmt_order() -> Callable[..., list[object]]:
    return stock_lmt_order_fields
