"""`make bench`: every figure of docs/BENCHMARKS.md, peers measured in the same run.

Prints a table and writes build/bench.json as
{"results": [{"name", "p50_ns", "p99_ns", "ops_per_s", ...}, ...], "targets": [...]}.
Nothing here asserts a speed: the targets are reported as met or missed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import redis.asyncio as aredis
import uvloop

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / "build" / "release" / "bin"
sys.path.insert(0, str(REPO / "python"))

from trader import protocol as p  # noqa: E402
from trader.ipc import TraderClient  # noqa: E402

Result = dict[str, Any]


def percentile(sorted_ns: list[int], q: float) -> int:
    return sorted_ns[min(len(sorted_ns) - 1, int(len(sorted_ns) * q))]


def result(name: str, lat: list[int], total_ns: int, **extra: Any) -> Result:
    lat = sorted(lat)
    out: Result = {"name": name, "p50_ns": percentile(lat, 0.5), "p99_ns": percentile(lat, 0.99),
                   "ops_per_s": round(len(lat) * 1e9 / total_ns), "n": len(lat)}
    out.update(extra)
    return out


def run_c(*args: str) -> Result:
    out = subprocess.run([str(BIN / "trader_bench"), *args], capture_output=True, text=True,
                         timeout=600, check=True)
    parsed: Result = json.loads(out.stdout.strip().splitlines()[-1])
    return parsed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_path(path: Path, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear")
        time.sleep(0.01)


class Trader:
    """./bin/trader on config/bench.json in a temp dir."""

    def __init__(self, tmp: Path) -> None:
        self.sock = tmp / "trader.sock"
        self.proc = subprocess.Popen(
            [str(REPO / "bin" / "trader"), "--config", str(REPO / "config" / "bench.json"),
             "--state-dir", str(tmp / "state"), "--socket", str(self.sock),
             "--kill-file", str(tmp / "kill_switch")],
            stdout=subprocess.DEVNULL, stderr=open(tmp / "trader.log", "wb"),  # noqa: SIM115
        )
        wait_path(self.sock)
        time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def check_msg(rid: int, qty: str = "0.0001") -> p.Check:
    return p.Check(id=rid, venue="paper", sym="BTCUSDT", side="buy", px=Decimal("59990.5"),
                   qty=Decimal(qty), ord="limit", tif="gtc", post_only=True, cid="bench")


async def py_ipc(sock: Path, n_rtt: int, n_pipe: int, depth: int) -> list[Result]:
    client = await TraderClient.connect(str(sock), client="bench", hb_timeout=30)
    client.mark(venue="paper", sym="BTCUSDT", px=Decimal("60000"), ts=time.time_ns())
    await client.query("status")  # the mark has been applied once this returns
    lat: list[int] = []
    total = 0
    for i in range(n_rtt + 500):
        t0 = time.perf_counter_ns()
        rep = await client.check(venue="paper", sym="BTCUSDT", side="buy", px=Decimal("59990.5"),
                                 qty=Decimal("0.0001"), post_only=True, cid="bench")
        dt = time.perf_counter_ns() - t0
        assert isinstance(rep, p.CheckOk), rep
        if i >= 500:
            lat.append(dt)
            total += dt
        await client.report(res=rep.res, kind="cancel", ts=time.time_ns())
    rtt = result("ipc_rtt_python", lat, total)

    # Pipelined: `depth` checks in flight at all times, from `depth` tasks that each
    # await their check and send the next (an asyncio.Semaphore over n_pipe tasks would
    # time the semaphore: Python 3.11 wakes its waiters by scanning them).
    reservations: list[int] = []

    async def worker(k: int) -> None:
        for _ in range(k):
            rep = await client.check(venue="paper", sym="BTCUSDT", side="buy",
                                     px=Decimal("59990.5"), qty=Decimal("0.0001"),
                                     post_only=True, cid="bench")
            assert isinstance(rep, p.CheckOk), rep
            reservations.append(rep.res)

    n_pipe -= n_pipe % depth
    t0 = time.perf_counter_ns()
    async with asyncio.TaskGroup() as tg:
        for _ in range(depth):
            tg.create_task(worker(n_pipe // depth))
    elapsed = time.perf_counter_ns() - t0
    pipe: Result = {"name": "ipc_pipelined_python", "p50_ns": None, "p99_ns": None,
                    "ops_per_s": round(n_pipe * 1e9 / elapsed), "n": n_pipe, "in_flight": depth}
    for res in reservations:
        await client.report(res=res, kind="cancel", ts=time.time_ns())
    await client.close()
    return [rtt, pipe]


class _EchoProto(asyncio.Protocol):
    def __init__(self, size: int) -> None:
        self.size = size
        self.got = 0
        self.waiter: asyncio.Future[None] | None = None

    def data_received(self, data: bytes) -> None:
        self.got += len(data)
        if self.got >= self.size and self.waiter is not None and not self.waiter.done():
            self.got -= self.size
            self.waiter.set_result(None)


async def py_floor(path: Path, size: int, n: int) -> Result:
    loop = asyncio.get_running_loop()
    proto = _EchoProto(size)
    transport, _ = await loop.create_unix_connection(lambda: proto, str(path))
    payload = b"x" * size
    lat: list[int] = []
    total = 0
    for i in range(n + 500):
        proto.waiter = loop.create_future()
        t0 = time.perf_counter_ns()
        transport.write(payload)
        await proto.waiter
        dt = time.perf_counter_ns() - t0
        if i >= 500:
            lat.append(dt)
            total += dt
    transport.close()
    return result("unix_pingpong_floor_python", lat, total)


REDIS_RESPONDER = """
import sys, redis
r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]))
ps = r.pubsub(ignore_subscribe_messages=True)
ps.subscribe("bench:req")
print("ready", flush=True)
for m in ps.listen():
    r.publish("bench:resp", m["data"])
"""


async def redis_client_loop(port: int, frame: bytes, n: int) -> Result:
    r = aredis.Redis(host="127.0.0.1", port=port)
    ps = r.pubsub(ignore_subscribe_messages=True)
    await ps.subscribe("bench:resp")
    lat: list[int] = []
    total = 0
    for i in range(n + 200):
        t0 = time.perf_counter_ns()
        await r.publish("bench:req", frame)
        while await ps.get_message(timeout=5.0) is None:
            pass
        dt = time.perf_counter_ns() - t0
        if i >= 200:
            lat.append(dt)
            total += dt
    await ps.aclose()
    await r.aclose()
    return result("redis_pubsub_rtt", lat, total)


def redis_rtt(tmp: Path, frame: bytes, n: int) -> Result:
    """The same request/response over Redis pub/sub (the original plans' IPC):
    a responder process echoes bench:req to bench:resp."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    responder = None
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.02)
        responder = subprocess.Popen([sys.executable, "-c", REDIS_RESPONDER, str(port)],
                                     stdout=subprocess.PIPE, text=True)
        assert responder.stdout is not None
        responder.stdout.readline()
        return uvloop.run(redis_client_loop(port, frame, n))
    finally:
        if responder is not None:
            responder.kill()
            responder.wait()
        server.terminate()
        server.wait()


def nautilus(n: int) -> Result:
    venv = REPO / ".venv-bench"
    py = venv / "bin" / "python"
    if not (venv / ".installed").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "nautilus_trader==1.221.0"],
                       check=True)
        (venv / ".installed").touch()
    out = subprocess.run([str(py), str(REPO / "bench" / "nautilus_bench.py"), str(n)],
                         capture_output=True, text=True, timeout=900, check=True)
    parsed: Result = json.loads(out.stdout.strip().splitlines()[-1])
    return parsed


TARGETS = [
    ("risk_check_inproc p99 < 1 us", lambda r: r["risk_check_inproc"]["p99_ns"] < 1000),
    ("ipc_rtt_c p50 <= 1.5x unix_pingpong_floor_c",
     lambda r: r["ipc_rtt_c"]["p50_ns"] <= 1.5 * r["unix_pingpong_floor_c"]["p50_ns"]),
    ("ipc_rtt_python p50 <= 1.5x unix_pingpong_floor_python",
     lambda r: r["ipc_rtt_python"]["p50_ns"] <= 1.5 * r["unix_pingpong_floor_python"]["p50_ns"]),
    ("ipc_pipelined_python >= 50,000 checks/s",
     lambda r: r["ipc_pipelined_python"]["ops_per_s"] >= 50_000),
    ("redis_pubsub_rtt p50 >= 3x ipc_rtt_python",
     lambda r: r["redis_pubsub_rtt"]["p50_ns"] >= 3 * r["ipc_rtt_python"]["p50_ns"]),
    ("risk_check_inproc ops/s >= 20x nautilus_riskengine_check",
     lambda r: r["risk_check_inproc"]["ops_per_s"]
     >= 20 * r["nautilus_riskengine_check"]["ops_per_s"]),
]


def room_benches() -> list[Any]:
    """bench/bench_<room>.py modules: each has run(tmp: Path, quick: bool) -> list[Result]
    (results shaped as result() makes them) and may have TARGETS like the list above."""
    mods = []
    for path in sorted(Path(__file__).parent.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        mods.append(mod)
    return mods


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(REPO / "build" / "bench.json"))
    ap.add_argument("--quick", action="store_true", help="fewer iterations (smoke run)")
    ap.add_argument("--skip-nautilus", action="store_true")
    args = ap.parse_args()
    k = 10 if args.quick else 1
    results: list[Result] = []

    def add(r: Result) -> None:
        results.append(r)
        print(f"  {r['name']:<30} done", file=sys.stderr, flush=True)

    tmp = Path(tempfile.mkdtemp(prefix="trader-bench-"))
    try:
        add(run_c("risk_check_inproc", str(1_000_000 // k)))
        add(run_c("journal_append", str(200_000 // k)))
        frame_size = len(p.encode(check_msg(123456)))
        echo = subprocess.Popen([str(BIN / "trader_bench"), "echo_server", str(tmp / "echo.sock")],
                                stdout=subprocess.PIPE)
        assert echo.stdout is not None
        echo.stdout.readline()
        try:
            add(run_c("unix_pingpong_floor", str(tmp / "echo.sock"), str(20_000 // k),
                      str(frame_size)))
            add(uvloop.run(py_floor(tmp / "echo.sock", frame_size, 20_000 // k)))
        finally:
            echo.kill()
            echo.wait()
        trader = Trader(tmp)
        try:
            add(run_c("ipc_rtt", str(trader.sock), str(20_000 // k)))
            for r in uvloop.run(py_ipc(trader.sock, 20_000 // k, 50_000 // k, 256)):
                add(r)
        finally:
            trader.stop()
        add(redis_rtt(tmp, p.encode(check_msg(123456)), 5_000 // k))
        if not args.skip_nautilus:
            try:
                add(nautilus(100_000 // k))
            except (subprocess.CalledProcessError, OSError, ValueError) as exc:
                results.append({"name": "nautilus_riskengine_check", "error": str(exc)[:300],
                                "p50_ns": None, "p99_ns": None, "ops_per_s": None})
        for mod in room_benches():
            try:
                for r in mod.run(tmp, args.quick):
                    add(r)
            except Exception as exc:  # one room's failure must not hide the rest
                results.append({"name": mod.__name__, "error": f"{type(exc).__name__}: {exc}"[:300],
                                "p50_ns": None, "p99_ns": None, "ops_per_s": None})
                print(f"  {mod.__name__:<30} FAILED: {exc}", file=sys.stderr, flush=True)
            TARGETS.extend(getattr(mod, "TARGETS", []))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    by_name = {r["name"]: r for r in results}
    targets = []
    for label, pred in TARGETS:
        try:
            met: bool | None = bool(pred(by_name))
        except (KeyError, TypeError):
            met = None
        targets.append({"target": label, "met": met})

    print(f"\n{'name':<30} {'p50_ns':>10} {'p99_ns':>10} {'ops_per_s':>12}")
    for r in results:
        print(f"{r['name']:<30} {r.get('p50_ns') or '-':>10} {r.get('p99_ns') or '-':>10} "
              f"{r.get('ops_per_s') or '-':>12}")
    print()
    for t in targets:
        mark = {True: "met", False: "MISSED", None: "n/a"}[t["met"]]
        print(f"  [{mark:>6}] {t['target']}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"machine": os.uname().machine, "cpus": os.cpu_count(),
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    out.write_text(json.dumps({"results": results, "targets": targets, "meta": meta}, indent=2))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
