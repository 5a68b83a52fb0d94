"""The full-stack runner (python/stack) end to end: the real simulators, Postgres, Redis, the
trader binary, the recorder and the gateway, started healthy, trading, killed by the kill
file, resumed, and stopped with nothing left behind. Plus the generated configs checked by
the programs that read them, a start that fails half-way, and Ctrl-C on scripts/demo.py."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from stack_checks import processes_mentioning

from gateway import config as gcfg
from stack import Stack, StackError, StackOptions
from stack.configs import BinanceCreds, gateway_config, to_toml, trader_config
from stack.procs import wait_for

REPO = Path(__file__).resolve().parents[3]
TRADER_BIN = Path(os.environ.get("TRADER_BIN", REPO / "bin" / "trader"))

pytestmark = pytest.mark.skipif(not TRADER_BIN.exists(), reason=f"no trader at {TRADER_BIN}")


def _urls() -> dict[str, dict[str, str]]:
    return {"binance": {"rest": "http://127.0.0.1:1", "ws_streams": "ws://127.0.0.1:1",
                        "ws_api": "ws://127.0.0.1:1/ws-api/v3"},
            "polymarket": {"clob": "http://127.0.0.1:2", "ws_market": "ws://127.0.0.1:2/ws/market",
                           "ws_user": "ws://127.0.0.1:2/ws/user",
                           "gamma": "http://127.0.0.1:2/gamma", "rpc": "http://127.0.0.1:2/rpc"}}


def test_generated_configs_are_accepted_by_their_readers(tmp_path: Path) -> None:
    creds = BinanceCreds.fresh()
    cfg = trader_config(tmp_path, binance=_urls()["binance"], ibkr_tws="127.0.0.1:7497",
                        redis_url="redis://127.0.0.1:6390/0")
    text = json.dumps(cfg)
    assert creds.hmac_secret not in text and creds.api_key not in text
    assert {i["venue"] for i in cfg["instruments"]} == {"binance", "ibkr"}
    assert {q["venue"] for q in cfg["strategy"]["quotes"]} == {"binance", "ibkr"}
    for path in (cfg["state_dir"], cfg["kill_file"], cfg["ipc"]["socket"]):
        assert Path(path).is_relative_to(tmp_path)
    (tmp_path / "t.json").write_text(text)
    out = subprocess.run([str(TRADER_BIN), "--mode", "paper", "--exchange", "binance,ibkr",
                          "--config", str(tmp_path / "t.json"), "--check-config"],
                         capture_output=True, text=True, timeout=20, check=False,
                         env=dict(os.environ, **creds.env()))
    assert out.returncode == 0, out.stdout + out.stderr
    assert creds.hmac_secret not in out.stdout + out.stderr

    doc = gateway_config(tmp_path, urls=_urls()["polymarket"],
                         trader_socket=tmp_path / "trader.sock", kill_file=tmp_path / "kill",
                         dsn="postgresql://postgres@127.0.0.1:1/postgres", strategy=None,
                         discovery={"rescan_s": 2, "max_markets": 2})
    toml = to_toml(doc)
    assert tomllib.loads(toml) == doc
    (tmp_path / "g.toml").write_text(toml)
    g = gcfg.load(tmp_path / "g.toml", env={})
    assert g.trader.socket == str(tmp_path / "trader.sock")
    assert g.control.kill_file == str(tmp_path / "kill")
    assert g.discovery.rescan_s == 2
    assert Path(g.control.socket).is_relative_to(tmp_path)


def test_failed_start_stops_what_was_started(tmp_path: Path) -> None:
    """The trader binary dies at once: start() raises and leaves nothing running."""
    stack = Stack(StackOptions(state_dir=tmp_path / "st", trader_bin=Path("/bin/false"),
                               venues=("ibkr",), redis=False))
    with pytest.raises(StackError, match="trader exited"):
        stack.start()
    rep = stack.report
    assert rep is not None and not rep.left_running and not rep.stray_paths
    assert stack.pg is not None and not stack.pg.root.exists()
    assert processes_mentioning(str(tmp_path), str(stack.pg.root)) == []


def test_whole_stack_trades_kills_resumes_and_stops_clean() -> None:
    stack = Stack(StackOptions(trader_bin=TRADER_BIN, speed={
        "binance": 5.0, "ibkr": 5.0, "polymarket": 30.0}))
    state = stack.state
    try:
        stack.start()
        # every part is up: trader on both venues, the recorder, the gateway quoting
        assert {"sim_binance", "sim_ibkr", "sim_polymarket", "trader", "recorder",
                "gateway"} <= set(stack.procs)
        st = stack.ctl("status")
        assert st["connections"]["binance"]["state"] == "UP"
        assert st["connections"]["ibkr"]["state"] == "UP"
        assert stack.gateway("status")["state"] == "QUOTING"

        # trading reaches the record: a fill in Postgres (written by the recorder)
        fills = wait_for("a fill in Postgres", lambda: stack.sql(
            "SELECT venue, count(*) AS n FROM fills GROUP BY venue"), 40.0, interval=0.5)
        assert sum(int(r["n"]) for r in fills) > 0

        # the kill file: global HALTED and no open order anywhere (trader's book holds the
        # gateway's Polymarket reservations as well)
        t0 = time.monotonic()
        stack.kill_file.touch()
        def halted_and_flat() -> bool:
            st = stack.ctl("status")
            return bool(st["states"]["global"] == "HALTED" and st["open_orders"] == 0)

        wait_for("HALTED and flat", halted_and_flat, 10.0, interval=0.01)
        print(f"kill file -> HALTED and flat: {(time.monotonic() - t0) * 1000:.0f} ms")
        assert stack.ctl("orders")["orders"] == []
        wait_for("gateway blocked", lambda: stack.gateway("status").get("state") == "BLOCKED",
                 10.0)
        # unkill is refused while the file exists, accepted once it is gone
        assert stack.ctl("unkill", "test", check=False)["_rc"] != 0
        stack.kill_file.unlink()
        assert stack.ctl("unkill", "test")["_rc"] == 0
        wait_for("ACTIVE", lambda: stack.ctl("status")["states"]["global"] == "ACTIVE", 10.0)
        wait_for("gateway quoting", lambda: stack.gateway("status").get("state") == "QUOTING",
                 20.0)

        fin = stack.stop_trading()
        assert not stack.procs["gateway"].alive() and not stack.procs["recorder"].alive()
        assert fin.trader_status["open_orders"] == 0
        assert fin.recorder_seq == fin.trader_jseq      # the record has the whole journal
        kills = stack.sql("SELECT text FROM risk_events WHERE state = 'HALTED' ORDER BY seq")
        assert any("kill (file)" in r["text"] for r in kills)
    finally:
        pg_root = stack.pg.root if stack.pg is not None else None
        rep = stack.stop()
    assert rep.clean, rep
    assert all("exit 0" in s for s in rep.steps if not s.startswith(("redis", "postgres"))), \
        rep.steps
    assert not state.exists()
    assert pg_root is not None and not pg_root.exists()
    assert processes_mentioning(str(state), str(pg_root)) == []


def test_demo_ctrl_c_stops_everything(tmp_path: Path) -> None:
    out_dir = tmp_path / "demo"
    env = dict(os.environ, DEMO_OUT=str(out_dir), DEMO_MINUTES="1", TRADER_BIN=str(TRADER_BIN))
    proc = subprocess.Popen([sys.executable, str(REPO / "scripts" / "demo.py")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            text=True, cwd=REPO)
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                line = proc.stdout.readline()
                if not line:
                    break
                lines.append(line)
                if line.startswith("stack up in"):
                    break
        assert any(ln.startswith("stack up in") for ln in lines), "".join(lines)
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = "".join(lines) + rest
    assert proc.returncode == 130, text
    assert "interrupted" in text and "left running: nothing" in text, text
    assert "files outside the state dir: none" in text, text
    assert processes_mentioning(str(out_dir)) == []
