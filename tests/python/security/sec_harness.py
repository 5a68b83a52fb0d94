"""Helpers of the security checks: a socket directory other users can traverse, running a
connect attempt under another uid, the Binance simulator, and a scan for planted secrets.

The trader is started with tests/python/trader_e2e/trader_harness.py (the same harness the
end-to-end tests use), so these checks run against the real binary and its real config."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "trader_e2e"))

from trader_harness import REPO, TRADER_BIN

NOBODY = 65534
PY = REPO / ".venv" / "bin" / "python"


@dataclass
class SockDir:
    path: Path

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def make_sock_dir() -> SockDir:
    d = Path(tempfile.mkdtemp(prefix="trader-sec-"))
    d.chmod(0o711)
    return SockDir(d)


def connect_as(uid: int, path: str) -> tuple[str, str]:
    """connect() to the Unix socket at path from a forked child that has dropped to uid
    (and its gid, no supplementary groups, hence no capabilities). Returns (outcome,
    detail): outcome "refused" (connect failed, detail = errno name), or "connected"
    (detail = what the server did next: "closed" / "reset" / "frame" / "timeout")."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        os.close(rfd)
        result = "error:unknown"
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            result = _attempt(path)
        except BaseException as exc:  # report anything to the parent, never raise
            result = f"error:{exc!r}"
        os.write(wfd, result.encode())
        os._exit(0)
    os.close(wfd)
    with os.fdopen(rfd, "rb") as fh:
        data = fh.read().decode()
    os.waitpid(pid, 0)
    outcome, _, detail = data.partition(":")
    return outcome, detail


def _attempt(path: str) -> str:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(path)
    except OSError as exc:
        return f"refused:{errno.errorcode.get(exc.errno or 0, str(exc.errno))}"
    return f"connected:{_after_hello(s)}"


def _after_hello(s: socket.socket) -> str:
    """Send a valid hello frame and say what came back."""
    body: bytes = msgpack.packb({"t": "hello", "v": 1, "client": "sec"}, use_bin_type=True)
    try:
        s.sendall(len(body).to_bytes(4, "big") + body)
        data = s.recv(65536)
    except ConnectionResetError:
        return "reset"
    except BrokenPipeError:
        return "reset"
    except TimeoutError:
        return "timeout"
    return "frame" if data else "closed"


def connect_with_dac_override(uid: int, path: str) -> tuple[str, str]:
    """The same attempt from uid with CAP_DAC_OVERRIDE kept as an ambient capability
    (setpriv), so the socket file's mode does not stop it and the connection reaches the
    trader's own SO_PEERCRED check. Returns like connect_as."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import sec_harness as h; "
        "print(h._attempt(sys.argv[2]))"
    )
    out = subprocess.run(
        ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
         "--inh-caps=+dac_override", "--ambient-caps=+dac_override",
         str(PY), "-c", code, str(Path(__file__).resolve().parent), path],
        capture_output=True, timeout=30, check=False, text=True,
    )
    if out.returncode != 0:
        raise AssertionError(f"setpriv client failed: {out.returncode} {out.stderr}")
    outcome, _, detail = out.stdout.strip().partition(":")
    return outcome, detail


def run_trader(*args: str, env: dict[str, str] | None = None,
               timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run trader to completion (for refusals and --check-config)."""
    return subprocess.run([str(TRADER_BIN), *args], capture_output=True, text=True,
                          timeout=timeout, check=False, env=env)


# ---------------------------------------------------------------- Binance simulator


@dataclass
class BinanceSim:
    proc: subprocess.Popen[str]
    urls: dict[str, str]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_binance_sim(tmp: Path, api_key: str, hmac_secret: str) -> BinanceSim:
    accounts = tmp / "sim_accounts.json"
    accounts.write_text(json.dumps({"accounts": [{
        "api_key": api_key, "hmac_secret": hmac_secret,
        "balances": {"USDT": "10000", "BTC": "1", "ETH": "10"},
    }]}))
    proc = subprocess.Popen(
        [str(PY), "-m", "venuesim", "binance", "--host", "127.0.0.1", "--port", "0",
         "--accounts", str(accounts), "--seed", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise AssertionError("the Binance simulator did not start")
    ready: dict[str, Any] = json.loads(line)
    return BinanceSim(proc, ready["urls"])


def binance_config(tmp: Path, sim: BinanceSim | None, credentials: dict[str, str],
                   strategy: bool = True) -> dict[str, Any]:
    """config/binance_sim.json pointed at sim (or at a closed port) with our state paths."""
    cfg: dict[str, Any] = json.loads((REPO / "config" / "binance_sim.json").read_text())
    cfg["state_dir"] = str(tmp / "state")
    cfg["kill_file"] = str(tmp / "kill_switch")
    cfg["ipc"]["socket"] = str(tmp / "trader.sock")
    b = cfg["venues"]["binance"]
    rest = sim.urls["rest"] if sim else "http://127.0.0.1:9"
    b["rest_url"] = rest
    b["ws_streams_url"] = sim.urls["ws_streams"] if sim else "ws://127.0.0.1:9"
    b["ws_api_url"] = sim.urls["ws_api"] if sim else "ws://127.0.0.1:9/ws-api/v3"
    b["credentials"] = credentials
    cfg["strategy"]["enabled"] = strategy
    return cfg


# ---------------------------------------------------------------- secret scan


def secret_forms(secret: str) -> list[bytes]:
    """The planted secret as it could leak: raw, hex, and a long enough prefix (a
    truncated copy in a bounded log field is still a leak)."""
    raw = secret.encode()
    return [raw, raw.hex().encode(), raw[: max(12, len(raw) // 2)]]


def scan(paths: list[Path], secret: str) -> list[str]:
    """Every file under paths (recursively) holding any form of secret, as 'path: form'."""
    hits: list[str] = []
    forms = secret_forms(secret)
    for root in paths:
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for f in files:
            data = f.read_bytes()
            hits += [f"{f}: {form!r}" for form in forms if form in data]
    return hits


def scan_text(text: str, secret: str) -> list[str]:
    data = text.encode()
    return [repr(form) for form in secret_forms(secret) if form in data]


def wait_for(pred: Any, timeout: float = 20.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


# ---------------------------------------------------------------- trader with any exchange


@dataclass
class RunningTrader:
    proc: subprocess.Popen[bytes]
    sock: str
    state_dir: Path
    log: Path

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def start_trader_on(tmp: Path, cfg: dict[str, Any], exchange: str, env: dict[str, str],
                    *extra: str) -> RunningTrader:
    """Start trader --mode paper --exchange <exchange> (debug logging: the most it ever
    says) and wait until it has started (socket answers, "app started" logged); env is
    the complete environment."""
    config = tmp / "trader.json"
    config.write_text(json.dumps(cfg))
    log = tmp / "trader.log"
    sock = cfg["ipc"]["socket"]
    with log.open("ab") as fh:
        proc = subprocess.Popen(
            [str(TRADER_BIN), "--mode", "paper", "--exchange", exchange, "--config",
             str(config), "--log-level", "debug", *extra],
            stdout=fh, stderr=subprocess.STDOUT, env=env,
        )
    t = RunningTrader(proc, sock, Path(cfg["state_dir"]), log)

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"trader exited {proc.returncode}: {log.read_text()}")
        if not os.path.exists(sock):
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(sock)
            return True
        except OSError:
            return False

    try:
        wait_for(up, timeout=20)
        # the socket opens before the venues are created: wait for the whole start
        wait_for(lambda: up() and " app started " in log.read_text(), timeout=20)
    except AssertionError:
        t.stop()
        raise
    return t


def clean_env(**extra: str) -> dict[str, str]:
    """The parent's environment without anything Binance-related, plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BINANCE")}
    env.update(extra)
    return env
