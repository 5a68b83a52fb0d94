"""`make demo` (first slice): the trader on the paper venue with the C quoter,
the kill switch exercised once on the way, then a readable result.

Runs in a throwaway state dir, leaves nothing running. DEMO_SECONDS (default
40) sets the length. The full demo (the three simulators, the gateway,
Postgres and Redis, a PNG chart) is still an open issue.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TRADER = REPO / "bin" / "trader"


def ctl(sock: Path, *args: str) -> dict[str, Any]:
    out = subprocess.run([str(TRADER), "ctl", "--socket", str(sock), "--json", *args],
                         capture_output=True, text=True, timeout=10, check=False)
    if out.returncode not in (0, 1):
        raise RuntimeError(out.stderr.strip())
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def main() -> int:
    seconds = float(os.environ.get("DEMO_SECONDS", "40"))
    tmp = Path(tempfile.mkdtemp(prefix="trader-demo-"))
    cfg = json.loads((REPO / "config" / "paper.json").read_text())
    cfg["state_dir"] = str(tmp / "state")
    cfg["kill_file"] = str(tmp / "kill_switch")
    cfg["ipc"]["socket"] = str(tmp / "trader.sock")
    config = tmp / "paper.json"
    config.write_text(json.dumps(cfg))
    sock = tmp / "trader.sock"
    log_path = tmp / "trader.log"
    print(f"demo: trader in paper mode for {seconds:.0f} s (state in {tmp})", flush=True)
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(TRADER), "--mode", "paper", "--exchange", "paper",
                                 "--config", str(config)], stdout=log, stderr=log)
    try:
        while not sock.exists():
            if proc.poll() is not None:
                print(log_path.read_text(), file=sys.stderr)
                return 1
            time.sleep(0.05)
        start = time.monotonic()
        killed = False
        while (elapsed := time.monotonic() - start) < seconds:
            time.sleep(2)
            s = ctl(sock, "status")
            pnl = s["pnl_usd"]
            print(f"  t={elapsed:4.0f}s state={s['states']['global']:<8} open={s['open_orders']:<3}"
                  f" realized={pnl['realized']:>10} unrealized={pnl['unrealized']:>10}", flush=True)
            if not killed and elapsed > seconds / 2:
                print("  -> touching the kill file", flush=True)
                (tmp / "kill_switch").touch()
                time.sleep(1)
                s = ctl(sock, "status")
                print(f"     state={s['states']['global']} open orders={s['open_orders']}")
                (tmp / "kill_switch").unlink()
                print(f"  -> unkill: {ctl(sock, 'unkill', 'demo')}", flush=True)
                killed = True
        final = ctl(sock, "status")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    text = log_path.read_text()
    fills = [ln for ln in text.splitlines() if " order fill " in ln]
    events = [ln for ln in text.splitlines() if " WARN risk " in ln or " app kill" in ln]
    print("\n== result ==")
    print(f"fills: {len(fills)}   accepted orders (journal seq): {final['jseq']}")
    print(f"PnL USD: {json.dumps(final['pnl_usd'])}")
    for pos in final["positions"]:
        print(f"  {pos['venue']:>6} {pos['sym']:<8} qty={pos['qty']:<10} "
              f"realized={pos['realized_usd']:<12} unrealized={pos['unrealized_usd']}")
    print("limit usage at the end:")
    for lim in final["limits"]:
        print(f"  {lim['limit']:<18} {lim['scope']:<8} {lim['value']!s:>12} / {lim['bound']}")
    print(f"risk events ({len(events)}):")
    for ln in events[-15:]:
        print("  " + ln)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
