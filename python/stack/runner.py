"""The whole stack in one state dir: throwaway Postgres and Redis, the three venue simulators,
`trader` (paper mode, Binance + IBKR, one generated config), the recorder and the gateway
(paper mode on Polymarket). Used by `make demo` (scripts/demo.py) and by tests; meant for a
cross-process chaos driver and a soak test as well (every part is a `Proc` that can be
killed and restarted by name).

    stack = Stack(StackOptions(state_dir=...))
    stack.start()              # each part healthy before the next one starts
    stack.ctl("status")        # trader ctl --json
    stack.gateway("status")    # the gateway's control socket
    final = stack.stop_trading()   # gateway stop, flatten, recorder caught up and stopped
    ... read the record: stack.sql(...) ...
    report = stack.stop()      # trader, simulators, Redis, Postgres; leftovers checked

Stop order: gateway (`stop` verb: it cancels and reports its orders), then trader is
flattened with a kill (every venue HALTED, every order cancelled, all of it journaled) so the
recorder can follow the journal to its end, then the recorder, trader (SIGTERM), the
simulators, Redis, Postgres. Every stop escalates to SIGKILL of the process group after a
timeout. `stop()` always runs every step, even after a failed one, and is idempotent: call
it from a `finally`.

Every process runs with the state dir as its working directory and every path of every
generated config is inside it; `StopReport` says whether anything is left running and
whether anything appeared outside it (in the checkout, or the temp dirs of Postgres/Redis).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from stack.configs import (
    REPO,
    STACK_RISK,
    BinanceCreds,
    binance_accounts,
    gateway_config,
    ibkr_accounts,
    to_toml,
    trader_config,
)
from stack.procs import Proc, StackError, ready_line, wait_for

T = TypeVar("T")
PY = sys.executable
VENUES = ("binance", "ibkr", "polymarket")
# Top-level names in the checkout that other work creates on its own (build dirs, tool
# caches); anything else new there after a run is a stray file of ours.
_IGNORED_TOP = ("build", ".hypothesis", ".pytest_cache", ".mypy_cache", ".ruff_cache")


def default_trader_bin() -> Path:
    return Path(os.environ.get("TRADER_BIN", str(REPO / "bin" / "trader")))


@dataclass
class StackOptions:
    state_dir: Path | None = None          # None: a fresh temp dir, removed by stop()
    trader_bin: Path = field(default_factory=default_trader_bin)
    venues: tuple[str, ...] = VENUES       # which simulators (and so which trader venues)
    recorder: bool = True                  # Postgres + recorder (+ gateway records)
    redis: bool = True                     # Redis: trader's kill channel, recorder stream
    seed: int = 7
    speed: dict[str, float] = field(default_factory=lambda: {
        "binance": 5.0, "ibkr": 5.0, "polymarket": 30.0})
    risk: dict[str, Any] = field(default_factory=lambda: dict(STACK_RISK))
    gateway_strategy: str = "auto"         # "mm", "quoter", or "auto" (mm if supported)
    gateway_discovery: dict[str, Any] = field(default_factory=lambda: {
        "rescan_s": 2, "crypto_15m": True, "fee_free": False, "max_markets": 2})
    gateway_quote: dict[str, Any] = field(default_factory=dict)
    trader_log_level: str = "info"
    start_timeout_s: float = 90.0
    progress: Callable[[str], None] | None = None   # one line per step (the demo prints them)


@dataclass
class StopReport:
    steps: list[str] = field(default_factory=list)       # "name: how it ended"
    left_running: list[str] = field(default_factory=list)
    stray_paths: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        killed = [s for s in self.steps if "SIGKILL" in s]
        return not (self.left_running or self.stray_paths or self.errors or killed)


@dataclass
class FinalState:
    """What the running parts said just before they were stopped."""
    trader_status: dict[str, Any] = field(default_factory=dict)
    trader_orders: dict[str, Any] = field(default_factory=dict)
    gateway_status: dict[str, Any] = field(default_factory=dict)
    gateway_report: dict[str, Any] = field(default_factory=dict)
    flatten_s: float | None = None
    recorder_seq: int | None = None
    trader_jseq: int | None = None
    problems: list[str] = field(default_factory=list)   # what did not go as it should


def _run_async(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a private loop in a worker thread, so the caller
    may itself be inside an event loop (pytest-asyncio, an async chaos driver)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as ex:
        return ex.submit(lambda: asyncio.run(factory())).result()


@contextlib.contextmanager
def _sigint_deferred(note: Callable[[], None]) -> Iterator[None]:
    """SIGINT only calls `note` for the duration (main thread only: elsewhere Python
    does not let us set handlers, and the main thread's handler is what Ctrl-C runs)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, lambda _s, _f: note())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _listing(path: Path) -> set[str]:
    try:
        return {p.name for p in path.iterdir()}
    except FileNotFoundError:
        return set()


class Stack:
    def __init__(self, opts: StackOptions | None = None) -> None:
        self.opts = opts or StackOptions()
        self.owns_state = self.opts.state_dir is None
        self.state = Path(self.opts.state_dir) if self.opts.state_dir else \
            Path(tempfile.mkdtemp(prefix="stack-"))
        self.logs = self.state / "logs"
        self.procs: dict[str, Proc] = {}
        self.urls: dict[str, dict[str, str]] = {}
        self.pg: Any = None          # localsvc.PostgresHandle
        self.redis: Any = None       # localsvc.RedisHandle
        self.dsn = ""
        self.redis_url = ""
        self.trader_socket = self.state / "trader.sock"
        self.kill_file = self.state / "kill_switch"
        self.gateway_socket = self.state / "gateway.sock"
        self.trader_config_path = self.state / "trader.json"
        self.gateway_config_path = self.state / "gateway.toml"
        self.gateway_strategy = ""
        self.gateway_notes: list[str] = []
        self.creds = BinanceCreds.fresh()
        self.final: FinalState | None = None
        self.report: StopReport | None = None
        self._outside_before: set[str] = set()
        self._service_roots: list[Path] = []

    # ---- helpers ----

    def _env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(REPO / "python") + (
            os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["PYTHONUNBUFFERED"] = "1"
        env.pop("TRADER_RISK_LIB", None)
        env.update(extra or {})
        return env

    def _proc(self, name: str, argv: list[str], *, env: dict[str, str] | None = None,
              stdout: bool = False) -> Proc:
        p = Proc(name=name, argv=argv, log=self.logs / f"{name}.log", cwd=self.state,
                 env=self._env(env),
                 stdout_file=self.logs / f"{name}.stdout" if stdout else None)
        self.procs[name] = p
        p.start()
        return p

    def _outside(self) -> set[str]:
        """What exists where a stray file of ours would land outside the state dir."""
        out = {f"{REPO}/{n}" for n in _listing(REPO) if not n.startswith(_IGNORED_TOP)}
        out |= {f"{REPO}/state/{n}" for n in _listing(REPO / "state")}
        return out

    def _say(self, msg: str) -> None:
        if self.opts.progress is not None:
            self.opts.progress(msg)

    def log_path(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    # ---- start ----

    def start(self) -> Stack:
        if not self.opts.trader_bin.exists():
            raise StackError(f"trader binary {self.opts.trader_bin} not found "
                             f"(make, or set TRADER_BIN)")
        if len(str(self.trader_socket)) > 100:
            raise StackError(f"state dir {self.state} is too deep for a Unix socket path")
        self.state.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        self._outside_before = self._outside()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        o = self.opts
        t0 = time.monotonic()
        # simulators first (they take seconds: the Polymarket one builds a chain), the
        # databases while they come up
        sims = [v for v in VENUES if v in o.venues]
        for v in sims:
            args = ["--host", "127.0.0.1", "--port", "0", "--seed", str(o.seed),
                    "--speed", f"{o.speed.get(v, 1.0):g}"]
            if v == "binance":
                args += ["--accounts", str(binance_accounts(self.state / "binance_accounts.json",
                                                            self.creds))]
            elif v == "ibkr":
                args += ["--accounts", str(ibkr_accounts(self.state / "ibkr_accounts.json"))]
            self._proc(f"sim_{v}", [PY, "-m", "venuesim", v, *args], stdout=True)
            self._say(f"simulator {v} starting (--speed {o.speed.get(v, 1.0):g})")
        if o.recorder or o.redis:
            from localsvc import start_postgres, start_redis  # noqa: PLC0415

            if o.recorder:
                self.pg = start_postgres(self.state)
                self._service_roots.append(self.pg.root)
                self.dsn = self.pg.dsn
                self._say(f"postgres up on {self.dsn} ({time.monotonic() - t0:.1f} s)")
            if o.redis:
                self.redis = start_redis(self.state)
                self._service_roots.append(self.redis.root)
                self.redis_url = self.redis.url
                self._say(f"redis up on {self.redis_url} ({time.monotonic() - t0:.1f} s)")
        for v in sims:
            p = self.procs[f"sim_{v}"]
            assert p.stdout_file is not None
            doc = wait_for(f"simulator {v} ready line",
                           lambda f=p.stdout_file: ready_line(f),
                           max(5.0, o.start_timeout_s - (time.monotonic() - t0)), procs=[p])
            self.urls[v] = dict(doc["urls"])
            self._say(f"simulator {v} ready: {next(iter(self.urls[v].values()))} "
                      f"({time.monotonic() - t0:.1f} s)")
        trader_venues: list[str] = [v for v in ("binance", "ibkr") if v in sims]
        if trader_venues:
            self._start_trader(trader_venues)
            self._say(f"trader ACTIVE, connected to {' and '.join(trader_venues)} "
                      f"({time.monotonic() - t0:.1f} s)")
        if o.recorder:
            self._start_recorder()
            self._say(f"recorder following the journal into Postgres "
                      f"({time.monotonic() - t0:.1f} s)")
        if "polymarket" in sims:
            self._start_gateway()
            self._say(f"gateway quoting Polymarket, {self.gateway_strategy} "
                      f"({time.monotonic() - t0:.1f} s)")
            for note in self.gateway_notes:
                self._say("  note: " + note)

    def _start_trader(self, venues: list[str]) -> None:
        o = self.opts
        cfg = trader_config(self.state, binance=self.urls.get("binance"),
                            ibkr_tws=self.urls["ibkr"]["tws"] if "ibkr" in venues else None,
                            redis_url=self.redis_url or None, risk=o.risk,
                            log_level=o.trader_log_level)
        self.trader_config_path.write_text(json.dumps(cfg, indent=1))
        env = self.creds.env() if "binance" in venues else {}
        p = self._proc("trader", [str(o.trader_bin), "--mode", "paper", "--exchange",
                                  ",".join(venues), "--config", str(self.trader_config_path)],
                       env=env)

        def up() -> bool:
            if not self.trader_socket.exists():
                return False
            st = self.ctl("status")
            return all(st["states"].get(v) == "ACTIVE"
                       and st["connections"].get(v, {}).get("state") == "UP" for v in venues)

        wait_for("trader connected and ACTIVE on " + ",".join(venues), up, 45.0, procs=[p],
                 interval=0.2)

    def _start_recorder(self) -> None:
        argv = [PY, "-m", "recorder", "--socket", str(self.trader_socket), "--dsn", self.dsn]
        if self.redis_url:
            argv += ["--redis", self.redis_url]
        p = self._proc("recorder", argv)
        wait_for("recorder following the journal", lambda: self.recorder_seq() is not None,
                 30.0, procs=[p], interval=0.2)

    def _gateway_toml(self, strategy: dict[str, Any] | None) -> dict[str, Any]:
        return gateway_config(self.state, urls=self.urls["polymarket"],
                              trader_socket=self.trader_socket, kill_file=self.kill_file,
                              dsn=self.dsn, strategy=strategy,
                              discovery=self.opts.gateway_discovery,
                              quote=self.opts.gateway_quote)

    def _gateway_doc(self) -> dict[str, Any]:
        """The gateway config: the market maker when this gateway knows `[strategy] kind =
        "mm"` (else its built-in quoter), and its clock fast-forwarded like the simulator's
        when it knows `timing.speed`. Each optional part is probed by loading the config
        with the gateway's own validator, and dropped (and said so) when refused."""
        from gateway import config as gcfg  # noqa: PLC0415

        want = self.opts.gateway_strategy
        strategy: dict[str, Any] | None = None if want == "quoter" else {"kind": "mm"}
        speed: float | None = self.opts.speed.get("polymarket", 1.0)
        notes: list[str] = []
        probe = self.state / "gateway_probe.toml"
        try:
            for _ in range(3):
                doc = self._gateway_toml(strategy)
                if speed is not None:
                    doc.setdefault("timing", {})["speed"] = speed
                probe.write_text(to_toml(doc))
                try:
                    gcfg.load(probe, env={})
                except gcfg.ConfigError as exc:
                    msg = str(exc)
                    if msg.startswith("timing") and speed is not None:
                        notes.append(f"gateway clock not fast-forwarded ({msg})")
                        speed = None
                    elif msg.startswith("strategy") and strategy is not None and want != "mm":
                        notes.append(f"market maker not available ({msg})")
                        strategy = None
                    else:
                        raise StackError(f"gateway config refused: {msg}") from exc
                    continue
                self.gateway_strategy = ("market maker (gateway.mm)" if strategy
                                         else "built-in quoter")
                self.gateway_notes = notes
                return doc
        finally:
            probe.unlink(missing_ok=True)
        raise StackError("gateway config: no acceptable variant")

    def _start_gateway(self) -> None:
        doc = self._gateway_doc()
        self.gateway_config_path.write_text(to_toml(doc) + "\n")
        p = self._proc("gateway", [PY, "-m", "gateway", "--mode", "paper", "--config",
                                   str(self.gateway_config_path)])

        def quoting() -> bool:
            if not self.gateway_socket.exists():
                return False
            st = self.gateway("status")
            return bool(st.get("markets")) and st.get("state") == "QUOTING"

        wait_for("gateway quoting", quoting, 60.0, procs=[p], interval=0.25)

    # ---- talking to the parts ----

    def ctl(self, *args: str, check: bool = True) -> dict[str, Any]:
        """`trader ctl --json ARGS`; with check=False a refused verb (exit 1) still returns
        its JSON (plus "_rc")."""
        out = subprocess.run([str(self.opts.trader_bin), "ctl", "--socket",
                              str(self.trader_socket), "--json", *args],
                             capture_output=True, text=True, timeout=15, check=False)
        if out.returncode != 0 and (check or not out.stdout.strip()):
            raise StackError(f"trader ctl {' '.join(args)}: exit {out.returncode} "
                             f"{out.stderr.strip()}")
        doc: dict[str, Any] = json.loads(out.stdout)
        doc["_rc"] = out.returncode
        return doc

    def gateway(self, cmd: str, timeout: float = 10.0) -> dict[str, Any]:
        from gateway.control import call  # noqa: PLC0415

        return _run_async(lambda: call(str(self.gateway_socket), cmd, timeout))

    def sql(self, query: str, *args: Any) -> list[dict[str, Any]]:
        """Rows of one query on the record (a short connection each time)."""
        import asyncpg  # noqa: PLC0415

        async def go() -> list[dict[str, Any]]:
            conn = await asyncpg.connect(self.dsn, timeout=10)
            try:
                return [dict(r) for r in await conn.fetch(query, *args)]
            finally:
                await conn.close()

        if not self.dsn:
            raise StackError("no Postgres in this stack")
        return _run_async(go)

    def recorder_seq(self, source: str = "trader") -> int | None:
        with contextlib.suppress(Exception):   # asyncpg raises many kinds before migrations
            rows = self.sql("SELECT last_seq FROM recorder_progress WHERE source = $1", source)
            return int(rows[0]["last_seq"]) if rows else None
        return None

    # ---- stop ----

    def stop_trading(self, *, flatten: bool = True) -> FinalState:
        """Gateway stopped, trader flattened (kill: HALTED + cancel all), the recorder
        caught up with the journal and stopped. Trader, simulators and databases keep
        running so the caller can read the record. Idempotent."""
        if self.final is not None:
            return self.final
        fin = FinalState()
        self.final = fin
        gw = self.procs.get("gateway")
        if gw is not None and gw.alive():
            try:
                fin.gateway_status = self.gateway("status")
                fin.gateway_report = self.gateway("report")
                self.gateway("stop")
            except (OSError, TimeoutError, ValueError) as exc:
                fin.problems.append(f"gateway control socket: {exc!r}")
            if not gw.wait_exit(30.0):
                fin.problems.append("gateway did not exit within 30 s of `stop`")
            gw.stop(signal.SIGTERM, 15.0)
        tr = self.procs.get("trader")
        if tr is not None and tr.alive():
            try:
                if flatten:
                    t0 = time.monotonic()
                    self.ctl("kill", "stack stop: flatten before shutdown")
                    wait_for("trader flat", lambda: self.ctl("status")["open_orders"] == 0,
                             15.0, interval=0.05)
                    fin.flatten_s = time.monotonic() - t0
                fin.trader_status = self.ctl("status")
                fin.trader_orders = self.ctl("orders")
                fin.trader_jseq = int(fin.trader_status["jseq"])
            except (StackError, ValueError, KeyError) as exc:
                fin.problems.append(f"trader: {exc}")
        rec = self.procs.get("recorder")
        if rec is not None and rec.alive():
            if fin.trader_jseq is not None:
                jseq = fin.trader_jseq
                try:
                    wait_for("recorder caught up with the journal",
                             lambda: (self.recorder_seq() or 0) >= jseq, 20.0, interval=0.1)
                except StackError as exc:
                    fin.problems.append(str(exc))
            fin.recorder_seq = self.recorder_seq()
            rec.stop(signal.SIGTERM, 15.0)
        return fin

    def stop(self) -> StopReport:
        """Stop everything in order; always runs every step (a Ctrl-C meanwhile is noted,
        not obeyed: an interrupted stop is what leaves processes behind). Idempotent."""
        if self.report is not None:
            return self.report
        with _sigint_deferred(lambda: self._say("stopping cleanly, please wait")):
            return self._stop()

    def _stop(self) -> StopReport:
        rep = StopReport()
        self.report = rep
        try:
            rep.errors += self.stop_trading().problems
        except Exception as exc:  # stop must go on whatever failed
            rep.errors.append(f"stop_trading: {exc!r}")
        order = ["gateway", "recorder", "trader", "sim_polymarket", "sim_binance", "sim_ibkr"]
        for name in order + [n for n in self.procs if n not in order]:
            p = self.procs.get(name)
            if p is None:
                continue
            try:
                how = p.stop(signal.SIGTERM, 20.0 if name == "trader" else 15.0)
            except Exception as exc:
                how = f"stop failed: {exc!r}"
                rep.errors.append(f"{name}: {how}")
            rep.steps.append(f"{name}: {how}")
            if name == "trader" and p.returncode() not in (0, None):
                rep.errors.append(f"trader exited {p.returncode()}")
        for label, handle in (("redis", self.redis), ("postgres", self.pg)):
            if handle is None:
                continue
            try:
                handle.stop()
                rep.steps.append(f"{label}: stopped")
            except Exception as exc:
                rep.errors.append(f"{label}: stop failed: {exc!r}")
        for name, p in self.procs.items():
            if p.group_alive():
                rep.left_running.append(f"{name} (process group {p.pid})")
        for label, handle in (("redis", self.redis), ("postgres", self.pg)):
            if handle is not None and handle.proc is not None and handle.proc.poll() is None:
                rep.left_running.append(label)
        for root in self._service_roots:
            if root.exists() and not root.is_relative_to(self.state):
                rep.stray_paths.append(str(root))
        if self._outside_before:
            rep.stray_paths += sorted(self._outside() - self._outside_before)
        if self.owns_state:
            shutil.rmtree(self.state, ignore_errors=True)
        return rep

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
