"""A seeded paper session of the market maker on the REAL Polymarket simulator, fast-forwarded:

    python -m gateway.session [--hours 2] [--speed 180] [--seed 11] [--out DIR] [--json]

Starts the simulator (`python -m venuesim polymarket --speed X --start-time T`, with its
background makers and takers), a real `trader` (env TRADER_BIN, default bin/trader; the micro
risk profile of config/paper.json, its own strategy off), a throwaway Postgres (localsvc) and
`python -m gateway --mode paper` with `strategy.kind = "mm"` on the 15-minute up-or-down
markets. It listens to trader's `state` and `events` pushes for the whole session, stops the
gateway after `hours` of simulated time, and prints the learning report built from Postgres
(`gateway.dbreport`). Not under `gateway.mm`: that package stays pure (no processes, sockets
or clocks).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# This orchestrator starts processes from a coroutine on purpose (Popen returns at once).
# ruff: noqa: ASYNC220, ASYNC240
from gateway import dbreport
from gateway.mm import report as mmreport

REPO = Path(__file__).resolve().parents[2]
START = "2026-01-05T12:00:00Z"
# the micro profile's limits are tight ($10 per market, -$3 position stop, 3 losing round
# trips in a row): small ladders, a low net-delta cap, and exits well before the window ends
MM = {"stall_s": 120, "max_market_usd": "10", "level_mults": [1, 2, 3], "max_net_shares": "15",
      "stop_before_end_s": 180, "unwind_timeout_s": 120, "max_position_age_s": 600}


@dataclass
class SessionResult:
    text: str
    report: mmreport.Report
    data: dbreport.Loaded
    events: dict[str, int] = field(default_factory=dict)
    breaches: list[str] = field(default_factory=list)
    status: dict[str, Any] = field(default_factory=dict)
    wall_s: float = 0.0
    risk_rejects: int = 0


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, int):
        return str(v)
    return json.dumps(str(v))


def _gateway_toml(work: Path, sock: str, kill: str, dsn: str, speed: float) -> Path:
    mm = "\n".join(f"{k} = {_toml_value(v)}" for k, v in MM.items())
    path = work / "gateway.toml"
    path.write_text(f"""
live = false
log_level = "info"
[venue]
clob_url = "http://placeholder"
ws_market_url = "ws://placeholder"
ws_user_url = "ws://placeholder"
gamma_url = "http://placeholder"
chain_id = 137
[trader]
socket = "{sock}"
hb_timeout_s = 5.0
[discovery]
rescan_s = 30
crypto_15m = true
fee_free = false
max_markets = 2
[quote]
requote_ms = 50
[strategy]
kind = "mm"
[strategy.mm]
{mm}
[records]
dsn = "{dsn}"
book_snapshot_s = 10
[control]
socket = "{work / 'gw.sock'}"
kill_file = "{kill}"
log_file = "{work / 'gateway.log'}"
[timing]
ws_ping_s = 2
ws_silent_s = 10
mark_interval_s = 0.5
speed = {speed}
""")
    return path


def _trader_config(work: Path) -> tuple[Path, str, str]:
    cfg: dict[str, Any] = json.loads((REPO / "config" / "paper.json").read_text())
    cfg["state_dir"] = str(work / "tstate")
    cfg["kill_file"] = str(work / "kill_switch")
    cfg["ipc"]["socket"] = str(work / "trader.sock")
    cfg["strategy"]["enabled"] = False
    cfg["venues"]["paper"]["walks"] = []
    path = work / "trader.json"
    path.write_text(json.dumps(cfg))
    return path, cfg["ipc"]["socket"], cfg["kill_file"]


async def _control(sock: str, cmd: str) -> dict[str, Any]:
    from gateway.control import call  # noqa: PLC0415

    return await call(sock, cmd)


async def run(work: Path, *, hours: float = 2.0, speed: float = 180.0, seed: int = 11,
              out: Path | None = None) -> SessionResult:
    from localsvc import start_postgres  # noqa: PLC0415
    from recorder.store import Store  # noqa: PLC0415
    from trader import protocol as p  # noqa: PLC0415
    from trader.ipc import TraderClient  # noqa: PLC0415

    t_wall = time.monotonic()
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    trader_bin = os.environ.get("TRADER_BIN", str(REPO / "bin" / "trader"))
    accounts = work / "accounts.json"
    accounts.write_text(json.dumps({"wallets": []}))
    procs: list[subprocess.Popen[Any]] = []
    pg = start_postgres()
    events: dict[str, int] = {}
    breaches: list[str] = []
    try:
        sim = subprocess.Popen(
            [sys.executable, "-m", "venuesim", "polymarket", "--host", "127.0.0.1", "--port",
             "0", "--seed", str(seed), "--speed", str(speed), "--start-time", START,
             "--accounts", str(accounts)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, cwd=REPO, env=env)
        procs.append(sim)
        assert sim.stdout is not None
        urls = json.loads(await asyncio.to_thread(sim.stdout.readline))["urls"]
        tcfg, sock, kill = _trader_config(work)
        with (work / "trader.log").open("ab") as fh:
            procs.append(subprocess.Popen([trader_bin, "--mode", "paper", "--exchange", "paper",
                                           "--config", str(tcfg)], stdout=fh, stderr=fh))
        for _ in range(500):
            if os.path.exists(sock):
                break
            await asyncio.sleep(0.02)

        def on_push(msg: Any) -> None:
            if isinstance(msg, p.Event):
                events[msg.kind] = events.get(msg.kind, 0) + 1
                if msg.kind in ("limit_breach", "kill", "anomaly"):
                    breaches.append(f"{msg.kind}: {msg.reason}")
            elif isinstance(msg, p.State) and msg.state != "ACTIVE" and msg.scope in (
                    "global", "polymarket"):
                breaches.append(f"state {msg.scope} {msg.state}: {msg.reason}")

        watcher = await TraderClient.connect(sock, client="session", on_push=on_push)
        await watcher.subscribe(("state", "events"))
        gcfg = _gateway_toml(work, sock, kill, pg.dsn, speed)
        genv = dict(env, GATEWAY_CLOB_URL=urls["clob"], GATEWAY_WS_MARKET_URL=urls["ws_market"],
                    GATEWAY_WS_USER_URL=urls["ws_user"], GATEWAY_GAMMA_URL=urls["gamma"])
        with (work / "gateway.stderr").open("ab") as fh:
            gw = subprocess.Popen([sys.executable, "-m", "gateway", "--mode", "paper",
                                   "--config", str(gcfg)], stdout=fh, stderr=fh, env=genv,
                                  cwd=REPO)
        procs.append(gw)
        await asyncio.sleep(hours * 3600 / speed)
        status: dict[str, Any] = {}
        with contextlib.suppress(OSError, TimeoutError):
            status = await _control(str(work / "gw.sock"), "status")
        gw.terminate()
        await asyncio.to_thread(gw.wait, 30)
        await watcher.close()
        store = await Store.open(pg.dsn, migrate=False)
        try:
            data = await dbreport.load(store)
        finally:
            await store.close()
        rep = dbreport.build(data)
        text = dbreport.summary(data, rep)
        if out is not None:
            for path in mmreport.charts(rep, out):
                text += f"\nchart: {path}"
        counters = status.get("counters") or {}
        return SessionResult(text, rep, data, events, breaches, status,
                             time.monotonic() - t_wall, int(counters.get("risk_rejects") or 0))
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    await asyncio.to_thread(proc.wait, 10)
                except subprocess.TimeoutExpired:
                    proc.kill()
            if proc.stdout is not None:
                proc.stdout.close()
        pg.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--hours", type=float, default=2.0)
    ap.add_argument("--speed", type=float, default=180.0)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mm-session-"))
    try:
        res = asyncio.run(run(work, hours=args.hours, speed=args.speed, seed=args.seed,
                              out=args.out))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"session: {args.hours} h simulated at x{args.speed} in {res.wall_s:.0f} s")
    print(f"trader events {res.events}; breaches {res.breaches or 'none'}; "
          f"risk rejects {res.risk_rejects}")
    print(res.text)
    rep = res.report
    print(f"fills by level {rep.levels_filled}; rebates ${rep.rebates:.5f}; "
          f"PnL ${rep.pnl.total:.4f}; maker volume ${rep.maker_volume:.2f}")
    return 0 if not res.breaches else 1


if __name__ == "__main__":
    sys.exit(main())
