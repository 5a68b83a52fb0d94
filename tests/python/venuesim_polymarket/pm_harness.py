"""Helpers for the Polymarket simulator tests: start it as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

# Public Hardhat/Anvil test accounts #0 and #1 (keys published in every EVM dev tool).
KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ADDR0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
KEY1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
ADDR1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
KEY2 = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"
ADDR2 = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
KEY3 = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"
ADDR3 = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
KEY4 = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"
ADDR4 = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
FIXTURES = Path(os.environ.get("SHARED_DIR", Path(__file__).resolve().parents[4] / "shared")
                ) / "fixtures" / "polymarket"


class SimProcess:
    def __init__(self, args: list[str], wallets: list[dict[str, Any]]) -> None:
        self._dir = tempfile.TemporaryDirectory()
        accounts = Path(self._dir.name) / "accounts.json"
        accounts.write_text(json.dumps({"wallets": wallets}))
        cmd = [sys.executable, "-m", "venuesim", "polymarket", "--host", "127.0.0.1",
               "--port", "0", "--accounts", str(accounts), *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"simulator did not start: {self.proc.stderr.read()}")
        self.ready: dict[str, Any] = json.loads(line)
        self.urls: dict[str, str] = self.ready["urls"]
        self.clob = self.urls["clob"]

    def stats(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.clob}/_sim/stats").json())

    def faults(self, **values: Any) -> None:
        r = httpx.post(f"{self.clob}/_sim/faults", json=values)
        r.raise_for_status()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        self._dir.cleanup()


def default_wallets() -> list[dict[str, Any]]:
    return [{"address": ADDR0, "collateral": "1000", "usdc": "0", "approved": True},
            {"address": ADDR1, "collateral": "1000", "usdc": "0", "approved": False}]


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())
