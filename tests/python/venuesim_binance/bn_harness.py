"""Start the Binance simulator as a real process and talk to it over real sockets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from Crypto.PublicKey import ECC
from Crypto.Signature import eddsa

REPO = Path(__file__).resolve().parents[3]
FIXTURES = Path(os.environ.get("SHARED_DIR", REPO.parent / "shared")) / "fixtures" / "binance"

HMAC_KEY = "simHmacKey0000000000000000000000000000000000000000000000000001"
HMAC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
ED_KEY = "simEd25519Key000000000000000000000000000000000000000000000000002"
# A throwaway test key generated once per run; never a real credential.
ED_PRIVATE = ECC.generate(curve="ed25519")
ED_PRIVATE_PEM = ED_PRIVATE.export_key(format="PEM")


def accounts_doc() -> dict[str, Any]:
    balances = {"USDT": "10000", "BTC": "0.5", "ETH": "5"}
    return {"accounts": [
        {"api_key": HMAC_KEY, "hmac_secret": HMAC_SECRET, "balances": balances},
        {"api_key": ED_KEY, "ed25519_public_key_pem": ED_PRIVATE.public_key().export_key(
            format="PEM"), "balances": balances},
    ]}


@dataclass
class Sim:
    proc: subprocess.Popen[str]
    rest: str
    ws_streams: str
    ws_api: str
    tmp: tempfile.TemporaryDirectory[str]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.tmp.cleanup()


def start_sim(args: list[str]) -> Sim:
    tmp = tempfile.TemporaryDirectory(prefix="bnsim-")
    accounts = Path(tmp.name) / "accounts.json"
    accounts.write_text(json.dumps(accounts_doc()))
    proc = subprocess.Popen(
        [sys.executable, "-m", "venuesim", "binance", "--host", "127.0.0.1", "--port", "0",
         "--accounts", str(accounts), *args],
        stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 20)
    if not ready:
        proc.kill()
        raise RuntimeError("simulator did not print its ready line within 20 s")
    line = proc.stdout.readline()
    doc = json.loads(line)
    assert doc["venue"] == "binance" and doc["ready"] is True
    urls = doc["urls"]
    return Sim(proc, urls["rest"], urls["ws_streams"], urls["ws_api"], tmp)


def now_ms() -> int:
    return int(time.time() * 1000)


def sign_hmac(payload: str, secret: str = HMAC_SECRET) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def sign_ed25519(payload: str) -> str:
    return base64.b64encode(eddsa.new(ED_PRIVATE, "rfc8032").sign(payload.encode())).decode()


def signed_query(params: dict[str, Any], *, ed25519: bool = False,
                 timestamp: int | None = None) -> str:
    """The query string the way a client sends it: params, timestamp, then signature."""
    full = {**params, "timestamp": timestamp if timestamp is not None else now_ms()}
    payload = urlencode(full)
    signature = sign_ed25519(payload) if ed25519 else sign_hmac(payload)
    return f"{payload}&signature={quote(signature, safe='')}"


def load_fixture(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text())
