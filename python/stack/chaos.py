"""Chaos across processes: seeded runs of the whole stack (python/stack: Postgres, Redis, the
three simulators, trader on Binance + IBKR, the recorder, the gateway in paper mode) while
a driver applies random actions at random moments, then quiesces and checks invariants.

    python -m stack.chaos --runs 100 --seconds 30 --seed-base 1 [--out build/chaos]

Actions (one at a time, a random gap of 0.3-2.5 s between them; seeded by the run's seed):
- kill9:{trader,gateway,recorder}: SIGKILL of the process group, restart 0-1 s later with the
  same command line (trader replays its journal and reconciles; the others reconnect);
- kill9:{postgres,redis}: SIGKILL of the server's group, restart on the same data/port;
- stop:{trader,gateway,recorder,sim_binance,sim_ibkr,sim_polymarket}: SIGSTOP for 0.3-4 s,
  then SIGCONT (a frozen process, or a frozen venue: a blind venue for everything on it);
- fault:binance:{rest_5xx,rest_unknown,rate_limit,time_skew,skip_depth,drop_market,drop_user,
  stall_market,stall_user,server_shutdown}, fault:ibkr:{disconnect,connectivity},
  fault:polymarket:{http_5xx,http_425,rate_limit,ws_market_stall,ws_market_drop}: through the
  simulators' POST /_sim/faults; the lasting ones are reverted after their hold.

The simulators are never killed: a simulator's process IS the venue, and its state (orders,
balances, trades) would vanish with it, which no real venue does; freezing it (SIGSTOP) and
cutting its connections (faults) are the venue-side failures we model.

Quiesce: every fault reverted, every process continued and alive (a process that died without
our kill is a violation), trader UP on both venues, the kill switch (`ctl kill`: HALTED and
every order cancelled), the journal quiet for 2 s, the recorder caught up with it. Checks:
1. fills exactly once: the journal's fills (read from the file by an independent reader)
   = Postgres fills (same trade ids, quantities, prices); no trade id booked twice in the
   journal; Binance: the venue's own trades of our account (signed GET myTrades) = the
   journal's Binance fills; IBKR: the simulator's fill count = the journal's IBKR fills;
2. positions: engine (`ctl positions`) = Postgres positions = the journal's fills summed
   (resolutions applied) = Binance myTrades summed;
3. no order open that the engine does not know: after the kill, engine open orders = 0,
   Binance openOrders = [], IBKR open orders = 0, Postgres open orders = [], the gateway's
   active orders = [];
4. no limit exceeded: the journal replayed through an independent Decimal model of the
   worst-case exposure (docs/RISK.md): at every ACCEPT, the market's worst case and the
   global exposure after it are within their bounds, or the order did not increase them
   (held shorts counted at their proceeds, a lower bound of the engine's figure);
5. HALTED whenever a venue was blind: every ACCEPT on Binance/IBKR happened while trader's
   log says that venue's connection was UP and neither it nor global was HALTED; every
   connection cut we made (drop, shutdown, disconnect, connectivity loss) was seen by trader
   (a DOWN/RECONCILING for that venue within 10 s). Polymarket blindness (ws stalls) is
   detected by the gateway after `ws_silent_s` (30 s), longer than a run's stalls: only
   the ws drops are checked there (a reconnect in the gateway's log).
A run's result (actions, figures, violations) goes to OUT/runs.jsonl, a summary to
OUT/summary.json. Exit status 1 if any run found a violation or failed.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import hashlib
import hmac
import json
import os
import random
import re
import signal
import struct
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgpack

from stack.configs import REPO
from stack.procs import StackError, stop_on_signals, wait_for
from stack.runner import Stack, StackOptions

RESTARTABLE = ("trader", "gateway", "recorder")
STOPPABLE = ("trader", "gateway", "recorder", "sim_binance", "sim_ibkr", "sim_polymarket")
BN_FAULTS = ("rest_5xx", "rest_unknown", "rate_limit", "time_skew", "skip_depth",
             "drop_market", "drop_user", "stall_market", "stall_user", "server_shutdown")
IB_FAULTS = ("disconnect", "connectivity")
PM_FAULTS = ("http_5xx", "http_425", "rate_limit", "ws_market_stall", "ws_market_drop")
# The connection cuts trader must notice (and HALT the venue) within DETECT_S.
CUTS = {("binance", "drop_market"), ("binance", "drop_user"), ("binance", "server_shutdown"),
        ("ibkr", "disconnect"), ("ibkr", "connectivity")}
DETECT_S = 10.0
LIMIT_TOL_USD = Decimal("0.01")    # rounding of USD conversions (the engine rounds up)


# ---- the journal, read from the file (independent of trader and the recorder) ----

_HDR = struct.Struct("<4sIQHHII")
J_INSTRUMENT, J_ACCEPT, J_REPORT, J_STATE, J_RESOLVE = 1, 2, 3, 4, 5
R_ACK, R_REJECT, R_FILL, R_CANCEL, R_EXPIRE = 0, 1, 2, 3, 4


def read_journal(path: Path) -> list[tuple[int, int, dict[str, Any]]]:
    """(seq, type, record) of every complete record; a torn tail is left out."""
    data = path.read_bytes()
    out: list[tuple[int, int, dict[str, Any]]] = []
    off = 0
    while off + _HDR.size <= len(data):
        magic, n, seq, rtype, _flags, _crc, _hcrc = _HDR.unpack_from(data, off)
        if magic != b"TJR1" or off + _HDR.size + n > len(data):
            break
        out.append((seq, rtype, msgpack.unpackb(data[off + _HDR.size: off + _HDR.size + n],
                                                raw=False)))
        off += _HDR.size + n
    return out


# ---- talking to the simulators ----

def _http(method: str, url: str, body: dict[str, Any] | None = None,
          headers: dict[str, str] | None = None, timeout: float = 10.0) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=dict(
        headers or {}, **({"Content-Type": "application/json"} if data else {})))
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"null")


def _admin(stack: Stack, venue: str) -> str:
    u = stack.urls[venue]
    return u["admin"] if venue == "ibkr" else u["rest"] if venue == "binance" else u["clob"]


def sim_fault(stack: Stack, venue: str, body: dict[str, Any]) -> None:
    _http("POST", _admin(stack, venue) + "/_sim/faults", body)


def sim_stats(stack: Stack, venue: str) -> dict[str, Any]:
    doc: dict[str, Any] = _http("GET", _admin(stack, venue) + "/_sim/stats")
    return doc


def binance_signed(stack: Stack, path: str, params: dict[str, str]) -> Any:
    """A signed GET on the simulator with this run's key (HMAC-SHA256, as the venue wants)."""
    q = dict(params, timestamp=str(int(time.time() * 1000)), recvWindow="60000")
    query = urllib.parse.urlencode(q)
    sig = hmac.new(stack.creds.hmac_secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    return _http("GET", f"{stack.urls['binance']['rest']}/api/v3/{path}?{query}&signature={sig}",
                 headers={"X-MBX-APIKEY": stack.creds.api_key})


def binance_trades(stack: Stack, symbol: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    from_id = 0
    while True:
        page = binance_signed(stack, "myTrades", {"symbol": symbol, "fromId": str(from_id),
                                                  "limit": "1000"})
        out += page
        if len(page) < 1000:
            return out
        from_id = int(page[-1]["id"]) + 1


# ---- the run ----

@dataclass
class Action:
    t: float                 # wall clock (s) when it started
    kind: str                # e.g. "kill9:trader", "fault:binance:drop_market"
    detail: str = ""
    t_end: float = 0.0


@dataclass
class RunResult:
    seed: int
    seconds: float
    actions: list[Action] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    wall_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        kinds = collections.Counter(a.kind for a in self.actions)
        return {"seed": self.seed, "seconds": self.seconds, "wall_s": round(self.wall_s, 1),
                "actions": dict(sorted(kinds.items())),
                "timeline": [f"{a.t:.3f} {a.kind} {a.detail}".strip() for a in self.actions],
                "violations": self.violations, "figures": self.figures, "error": self.error}


class Run:
    def __init__(self, seed: int, seconds: float, trader_bin: Path | None, *,
                 first: list[str] | None = None, state_dir: Path | None = None,
                 skip: tuple[str, ...] = ()) -> None:
        self.skip = skip                 # action kinds (prefixes) never picked at random
        self.seed = seed
        self.first = list(first or [])   # actions to take first, in order (then random)
        self.seconds = seconds
        self.rng = random.Random(seed)
        opts = StackOptions(state_dir=state_dir, seed=seed,
                            speed={"binance": 5.0, "ibkr": 5.0, "polymarket": 30.0})
        if trader_bin is not None:
            opts.trader_bin = trader_bin
        self.stack = Stack(opts)
        self.res = RunResult(seed=seed, seconds=seconds)
        self.killed: collections.Counter[str] = collections.Counter()
        self.stopped: set[str] = set()

    # -- actions --

    def _pick(self) -> str:
        while True:
            kind = self._pick_any()
            if not kind.startswith(self.skip) or not self.skip:
                return kind

    def _pick_any(self) -> str:
        r = self.rng.random()
        if r < 0.22:
            return "kill9:" + self.rng.choice(RESTARTABLE)
        if r < 0.30:
            return "kill9:" + self.rng.choice(("postgres", "redis"))
        if r < 0.45:
            return "stop:" + self.rng.choice(STOPPABLE)
        if r < 0.70:
            return "fault:binance:" + self.rng.choice(BN_FAULTS)
        if r < 0.82:
            return "fault:ibkr:" + self.rng.choice(IB_FAULTS)
        return "fault:polymarket:" + self.rng.choice(PM_FAULTS)

    def ctl(self, *args: str) -> dict[str, Any]:
        """`trader ctl --json`; a hung trader is a StackError (wait_for polls past it)."""
        try:
            return self.stack.ctl(*args)
        except subprocess.TimeoutExpired as exc:
            raise StackError(f"trader ctl {' '.join(args)}: no answer within 15 s") from exc

    def _restart(self, name: str) -> None:
        p = self.stack.procs[name]
        p.start()
        if name == "trader":
            wait_for("trader answering after restart", lambda: self.ctl("status"),
                     30.0, procs=[p], interval=0.2)
        elif name == "gateway":
            wait_for("gateway answering after restart",
                     lambda: self.stack.gateway("status", timeout=3.0), 45.0, procs=[p],
                     interval=0.3)

    def apply(self, kind: str) -> Action:
        a = Action(t=time.time(), kind=kind)
        rng, st = self.rng, self.stack
        what, _, target = kind.partition(":")
        if what == "kill9" and target in RESTARTABLE:
            p = st.procs[target]
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait_exit(10.0)
            self.killed[target] += 1
            pause = rng.uniform(0, 1.0)
            a.detail = f"restart after {pause:.2f} s"
            time.sleep(pause)
            self._restart(target)
        elif what == "kill9":
            handle = st.pg if target == "postgres" else st.redis
            handle.kill9()
            pause = rng.uniform(0, 1.0)
            a.detail = f"restart after {pause:.2f} s"
            time.sleep(pause)
            handle.restart()
        elif what == "stop":
            p = st.procs[target]
            hold = rng.uniform(0.3, 4.0)
            a.detail = f"{hold:.2f} s"
            with contextlib.suppress(ProcessLookupError):   # died on its own: quiesce says
                os.killpg(p.pid, signal.SIGSTOP)
            self.stopped.add(target)
            try:
                time.sleep(hold)
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGCONT)
                self.stopped.discard(target)
        else:
            venue, _, fault = target.partition(":")
            a.detail = self._fault(venue, fault)
        a.t_end = time.time()
        return a

    def _fault(self, venue: str, fault: str) -> str:
        rng = self.rng
        hold = rng.uniform(1.0, 5.0)
        if venue == "binance":
            simple: dict[str, dict[str, Any]] = {
                "rest_5xx": {"rest_5xx": rng.randint(1, 5)},
                "rest_unknown": {"rest_unknown": rng.randint(1, 2)},
                "rate_limit": {"rate_limit_next": rng.randint(1, 3), "retry_after": 1},
                "skip_depth": {"skip_depth": rng.randint(1, 3)},
                "drop_market": {"drop_market": True}, "drop_user": {"drop_user": True},
                "server_shutdown": {"server_shutdown": True},
                "stall_market": {"stall_market": round(hold, 2)},
                "stall_user": {"stall_user": round(hold, 2)}}
            if fault == "time_skew":
                skew = rng.choice((-1, 1)) * rng.randint(300, 3000)
                sim_fault(self.stack, "binance", {"time_skew_ms": skew})
                time.sleep(hold)
                sim_fault(self.stack, "binance", {"time_skew_ms": 0})
                return f"{skew} ms for {hold:.1f} s"
            body = simple[fault]
            sim_fault(self.stack, "binance", body)
            if fault.startswith("stall"):
                time.sleep(hold)
            return json.dumps(body)
        if venue == "ibkr":
            if fault == "disconnect":
                sim_fault(self.stack, "ibkr", {"disconnect": True})
                return ""
            down = round(rng.uniform(0.3, 2.0), 2)
            lost = rng.random() < 0.5
            sim_fault(self.stack, "ibkr", {"connectivity_cycle": {"down_s": down,
                                                                  "data_lost": lost}})
            time.sleep(down)
            return f"down {down} s, data_lost={lost}"
        table: dict[str, dict[str, Any]] = {
            "http_5xx": {"http_500": 0.3, "http_503": 0.2}, "http_425": {"http_425": 0.5},
            "rate_limit": {"rate_limit_scale": 0.01},
            "ws_market_stall": {"ws_market": "stall"},
            "ws_market_drop": {"ws_market": "drop"}}
        pm = table[fault]
        sim_fault(self.stack, "polymarket", pm)
        if fault != "ws_market_drop":
            time.sleep(hold)
        sim_fault(self.stack, "polymarket", PM_RESET)
        return f"{json.dumps(pm)} for {hold:.1f} s"

    # -- run, quiesce, check --

    def run(self) -> RunResult:
        t_wall = time.monotonic()
        try:
            self.stack.start()
            deadline = time.monotonic() + self.seconds
            while time.monotonic() < deadline or self.first:
                time.sleep(self.rng.uniform(0.3, 2.5))
                if time.monotonic() >= deadline and not self.first:
                    break
                a = self.apply(self.first.pop(0) if self.first else self._pick())
                self.res.actions.append(a)
            self.quiesce()
            self.check()
        except Exception as exc:
            self.res.error = f"{type(exc).__name__}: {exc}"
            self.res.figures["traceback"] = traceback.format_exc()[-3000:]
        finally:
            self.res.wall_s = time.monotonic() - t_wall
            self._keep_logs()
            rep = self.stack.stop()
            if rep.left_running:
                self.res.violations.append(f"left running after stop: {rep.left_running}")
        return self.res

    def _keep_logs(self) -> None:
        """A failed run keeps its logs and journal (the stack's state dir is removed)."""
        if not (self.res.violations or self.res.error):
            return
        keep = REPO / "build" / "chaos" / f"seed-{self.seed}"
        keep.mkdir(parents=True, exist_ok=True)
        for src in [*self.stack.logs.glob("*.log"), self.stack.state / "trader" / "journal.tj"]:
            with contextlib.suppress(OSError):
                (keep / src.name).write_bytes(src.read_bytes())
        self.res.figures["kept"] = str(keep)

    def quiesce(self) -> None:
        st = self.stack
        for name in list(self.stopped):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(st.procs[name].pid, signal.SIGCONT)
        sim_fault(st, "binance", {"time_skew_ms": 0, "rest_5xx": 0, "rest_unknown": 0,
                                  "rate_limit_next": 0, "skip_depth": 0, "stall_market": 0,
                                  "stall_user": 0})
        sim_fault(st, "polymarket", PM_RESET)
        for name, p in st.procs.items():
            if not p.alive():
                self.res.violations.append(
                    f"{name} died without our kill (exit {p.returncode()}): {p.tail(600)}")
                self._restart(name)
        for h in (st.pg, st.redis):
            if not h.running:
                self.res.violations.append("a database died without our kill")
                h.restart()

        def up() -> bool:
            s = self.ctl("status")
            return all(s["connections"].get(v, {}).get("state") == "UP"
                       for v in ("binance", "ibkr"))

        # 150 s: a restarted trader that ignored the Retry-After of its predecessor gets a
        # 418 IP ban of about 2 minutes from the simulator (seed 13), as from the venue
        t_up = time.monotonic()
        wait_for("trader UP on both venues", up, 150.0, interval=0.3)
        self.res.figures["up_wait_s"] = round(time.monotonic() - t_up, 1)
        self.ctl("kill", "chaos: quiesce")
        try:
            wait_for("trader flat after the kill",
                     lambda: self.ctl("status")["open_orders"] == 0, 30.0, interval=0.1)
        except StackError:
            left = [{k: o.get(k) for k in ("res", "venue", "sym", "side", "qty", "filled",
                                           "voi", "cid", "local")}
                    for o in self.ctl("orders")["orders"]]
            self.res.violations.append(
                f"{len(left)} orders still open 30 s after the kill: {left[:6]}")
        # the journal quiet (late fills of cancelled orders, the gateway's last reports)
        last, since = -1, time.monotonic()
        while time.monotonic() - since < 2.0:
            j = int(self.ctl("status")["jseq"])
            if j != last:
                last, since = j, time.monotonic()
            time.sleep(0.2)
        wait_for("recorder caught up", lambda: (st.recorder_seq() or 0) >= last, 60.0,
                 interval=0.2)
        self.res.figures["jseq"] = last

    def check(self) -> None:
        st, v = self.stack, self.res.violations
        journal = read_journal(st.state / "trader" / "journal.tj")
        cfg = json.loads(st.trader_config_path.read_text())
        insts: dict[tuple[str, str], dict[str, Any]] = {
            (i["venue"], i["symbol"]): {"kind": 3 if i.get("kind") == "binary" else 0,
                                         "market": i["symbol"],
                                         "usd_rate": Decimal(str(i.get("usd_rate", "1")))}
            for i in cfg["instruments"]}
        fills: dict[tuple[str, str], dict[str, Any]] = {}
        dup = 0
        jpos: dict[tuple[str, str], Decimal] = collections.defaultdict(Decimal)
        for _seq, t, r in journal:
            if t == J_INSTRUMENT:
                insts[(r["venue"], r["sym"])] = {"kind": r["kind"], "market": r["market"],
                                                 "usd_rate": Decimal(r["usd_rate"])}
            elif t == J_REPORT and r["kind"] == R_FILL:
                key = (r["venue"], r["tid"])
                if key in fills:
                    dup += 1
                    continue
                fills[key] = r
                q = Decimal(r["qty"])
                jpos[(r["venue"], r["sym"])] += q if r["side"] == 0 else -q
            elif t == J_RESOLVE:
                market = insts.get((r["venue"], r["sym"]), {}).get("market")
                for k in list(jpos):
                    if k[0] == r["venue"] and insts.get(k, {}).get("market") == market:
                        jpos[k] = Decimal(0)
        if dup:
            v.append(f"{dup} fill reports booked twice in the journal (same trade id)")
        by_venue = collections.Counter(k[0] for k in fills)
        self.res.figures.update(journal_records=len(journal), fills=dict(by_venue))

        # 1. fills exactly once: Postgres, the venues
        rows = st.sql("SELECT venue, trade_id, quantity, price FROM fills")
        pg = {(r["venue"], r["trade_id"]): r for r in rows}
        if len(pg) != len(rows):
            v.append("postgres holds a (venue, trade_id) twice")
        missing, extra = set(fills) - set(pg), set(pg) - set(fills)
        if missing:
            v.append(f"fills in the journal, not in Postgres: {sorted(missing)[:5]}")
        if extra:
            v.append(f"fills in Postgres, not in the journal: {sorted(extra)[:5]}")
        for k in set(fills) & set(pg):
            if (pg[k]["quantity"] != Decimal(fills[k]["qty"])
                    or pg[k]["price"] != Decimal(fills[k]["px"])):
                v.append(f"fill {k}: Postgres {pg[k]['quantity']}@{pg[k]['price']} != "
                         f"journal {fills[k]['qty']}@{fills[k]['px']}")
        venue_pos: dict[tuple[str, str], Decimal] = {}
        for sym in sorted(s for (ven, s) in insts if ven == "binance"):
            trades = binance_trades(st, sym)
            ids = {f"{sym}:{tr['id']}" for tr in trades}
            ours = {k[1] for k in fills if k[0] == "binance" and k[1].startswith(sym + ":")}
            if ids != ours:
                v.append(f"Binance {sym}: venue trades not in the journal "
                         f"{sorted(ids - ours)[:5]}, journal fills unknown to the venue "
                         f"{sorted(ours - ids)[:5]}")
            venue_pos[("binance", sym)] = sum(
                (Decimal(tr["qty"]) * (1 if tr["isBuyer"] else -1) for tr in trades),
                Decimal(0))
        ib = sim_stats(st, "ibkr")
        if int(ib["fills"]) != by_venue.get("ibkr", 0):
            v.append(f"IBKR: the simulator counts {ib['fills']} fills, the journal "
                     f"{by_venue.get('ibkr', 0)}")

        # 2. positions
        engine = {(p["venue"], p["sym"]): Decimal(p["qty"])
                  for p in st.ctl("positions")["positions"]}
        pgpos = {(r["venue"], r["instrument"]): r["quantity"] for r in st.sql(
            "SELECT venue, instrument, quantity FROM positions")}
        for key in set(engine) | set(pgpos) | set(jpos) | set(venue_pos):
            e, p_, j = engine.get(key, Decimal(0)), pgpos.get(key, Decimal(0)), \
                jpos.get(key, Decimal(0))
            ven = venue_pos.get(key, e)
            if not e == p_ == j == ven:
                v.append(f"position {key}: engine {e}, Postgres {p_}, journal {j}, venue {ven}")
        self.res.figures["positions"] = {f"{k[0]}:{k[1][:12]}": str(q)
                                         for k, q in engine.items() if q}

        # 3. no order open that the engine does not know (after the kill: none anywhere)
        bn_open = binance_signed(st, "openOrders", {})
        if bn_open:
            v.append(f"Binance has open orders after the kill: "
                     f"{[(o['symbol'], o['orderId'], o['clientOrderId']) for o in bn_open][:5]}")
        if int(ib["orders_open"]) != 0:
            v.append(f"IBKR has {ib['orders_open']} open orders after the kill")
        pg_open = st.sql("SELECT venue, order_key FROM orders WHERE status = 'open'")
        if pg_open:
            v.append(f"Postgres says open after the kill: {pg_open[:5]}")
        gw = st.gateway("status")
        if gw.get("open_orders"):
            v.append(f"the gateway has active orders after the kill: {gw['open_orders'][:3]}")

        # 4. limits
        lv, closest = limit_violations(journal, insts, cfg["risk"])
        v += lv
        self.res.figures["max_position_vs_bound"] = f"{closest:.3f}"

        # 5. HALTED whenever a venue was blind
        v += blind_violations(journal, st.log_path("trader").read_text(errors="replace"),
                              self.res.actions)
        gwlog = st.log_path("gateway").read_text(errors="replace")
        self.res.figures["gateway_market_ws_down"] = gwlog.count("market channel down")


PM_RESET: dict[str, Any] = {"http_500": 0.0, "http_425": 0.0, "http_503": 0.0,
                            "rate_limit_scale": 1.0, "ws_market": "ok", "ws_user": "ok"}


# ---- invariant 4: limits, from the journal, by an independent Decimal model ----

def _bounds(risk: dict[str, Any]) -> tuple[Decimal, dict[str, Decimal], Decimal]:
    """(global max position per market, per-venue max position, global max exposure) of
    the risk section in force (profile defaults, docs/RISK.md, then the overrides)."""
    wide = risk.get("profile") == "wide"
    g = risk.get("global", {})
    pos = Decimal(str(g.get("max_position_usd", "100" if wide else "10")))
    exp = Decimal(str(g.get("max_exposure_usd", "400" if wide else "40")))
    venues = {name: Decimal(str(sec["max_position_usd"]))
              for name, sec in risk.get("venues", {}).items() if "max_position_usd" in sec}
    return pos, venues, exp


@dataclass
class _Leg:
    qty: Decimal = Decimal(0)        # held, signed
    cost: Decimal = Decimal(0)       # held, quote currency, signed like qty
    bq: Decimal = Decimal(0)         # open buys
    bn: Decimal = Decimal(0)
    sq: Decimal = Decimal(0)         # open sells
    sn: Decimal = Decimal(0)


def _linear(leg: _Leg) -> Decimal:
    q = leg.qty
    if q >= 0:
        long_ = leg.cost + leg.bn
        short = leg.sn * (leg.sq - q) / leg.sq if leg.sq > q else Decimal(0)
    else:
        short = abs(leg.cost) + leg.sn      # at proceeds: <= the engine's max(proceeds, mark)
        long_ = leg.bn * (leg.bq - abs(q)) / leg.bq if leg.bq > abs(q) else Decimal(0)
    return max(long_, short)


def _binary(legs: list[_Leg]) -> Decimal:
    ys = [leg.qty + leg.bq for leg in legs]
    c = sum((leg.cost + leg.bn for leg in legs), Decimal(0))
    pair = min(ys) if len(ys) == 2 else Decimal(0)
    return max(Decimal(0), c - pair)


def limit_violations(journal: list[tuple[int, int, dict[str, Any]]],
                     insts: dict[tuple[str, str], dict[str, Any]],
                     risk: dict[str, Any]) -> tuple[list[str], Decimal]:
    gpos, vpos, gexp = _bounds(risk)
    legs: dict[tuple[str, str], _Leg] = collections.defaultdict(_Leg)
    orders: dict[int, dict[str, Any]] = {}
    out: list[str] = []
    closest = Decimal(0)      # the highest worst case / bound after an increasing accept

    def market_of(key: tuple[str, str]) -> tuple[str, str]:
        return key[0], str(insts.get(key, {}).get("market", key[1]))

    def worst(market: tuple[str, str]) -> Decimal:
        keys = [k for k in legs if market_of(k) == market]
        rate = max((insts.get(k, {}).get("usd_rate", Decimal(1)) for k in keys),
                   default=Decimal(1))
        binary = any(insts.get(k, {}).get("kind") == 3 for k in keys)
        raw = _binary([legs[k] for k in keys]) if binary else \
            max((_linear(legs[k]) for k in keys), default=Decimal(0))
        return raw * rate

    def total() -> Decimal:
        return sum((worst(m) for m in {market_of(k) for k in legs}), Decimal(0))

    def release(o: dict[str, Any], qty: Decimal) -> None:
        leg = legs[o["key"]]
        if o["side"] == 0:
            leg.bq -= qty
            leg.bn -= qty * o["px"]
        else:
            leg.sq -= qty
            leg.sn -= qty * o["px"]
        o["left"] -= qty

    for seq, t, r in journal:
        if t == J_ACCEPT:
            key = (r["venue"], r["sym"])
            m = market_of(key)
            before_m, before_t = worst(m), total()
            px, qty = Decimal(r["px"]), Decimal(r["qty"])
            leg = legs[key]
            if r["side"] == 0:
                leg.bq += qty
                leg.bn += qty * px
            else:
                leg.sq += qty
                leg.sn += qty * px
            orders[int(r["res"])] = {"key": key, "side": r["side"], "px": px, "left": qty}
            after_m, after_t = worst(m), total()
            bound = min(gpos, vpos.get(key[0], gpos))
            if after_m > before_m:
                closest = max(closest, after_m / bound)
            if after_m > bound + LIMIT_TOL_USD and after_m > before_m:
                out.append(f"seq {seq}: {key[0]} {key[1][:16]} worst case {after_m:.4f} USD "
                           f"> {bound} after accept res {r['res']} (before {before_m:.4f})")
            if after_t > gexp + LIMIT_TOL_USD and after_t > before_t:
                out.append(f"seq {seq}: global exposure {after_t:.4f} USD > {gexp}")
        elif t == J_REPORT:
            o = orders.get(int(r["res"]))
            kind = r["kind"]
            if kind == R_FILL:
                key = (r["venue"], r["sym"])
                q, px = Decimal(r["qty"]), Decimal(r["px"])
                leg = legs[key]
                signed = q if r["side"] == 0 else -q
                # cost: average cost kept on reductions, new cost on opens/flips
                if leg.qty == 0 or (leg.qty > 0) == (signed > 0):
                    leg.cost += signed * px
                elif abs(signed) <= abs(leg.qty):
                    leg.cost -= leg.cost * (abs(signed) / abs(leg.qty))
                else:
                    rest = signed + leg.qty
                    leg.cost = rest * px
                leg.qty += signed
                if o is not None:
                    release(o, min(q, o["left"]))
            elif kind in (R_REJECT, R_CANCEL, R_EXPIRE) and o is not None:
                release(o, o["left"])
            if o is not None and o["left"] <= 0:
                orders.pop(int(r["res"]), None)
        elif t == J_RESOLVE:
            market = market_of((r["venue"], r["sym"]))
            for k in list(legs):
                if market_of(k) == market:
                    legs[k].qty = legs[k].cost = Decimal(0)
    return out, closest


# ---- invariant 5: HALTED whenever a venue was blind ----

_TS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z (\w+) (.*)$")


def _ts(s: str) -> float:
    return datetime.fromisoformat(s + "+00:00").timestamp()


def blind_violations(journal: list[tuple[int, int, dict[str, Any]]], log: str,
                     actions: list[Action]) -> list[str]:
    """Every Binance/IBKR ACCEPT while trader said that venue was UP and not HALTED; every
    connection cut we made seen by trader within DETECT_S."""
    venue_index = {"1": "binance", "2": "ibkr"}
    # (time, venue, "conn"|"state"|"start", value), in log order
    events: list[tuple[float, str, str, str]] = []
    for line in log.splitlines():
        m = _TS.match(line)
        if m is None:
            continue
        t, rest = _ts(m.group(1)), m.group(3)
        if rest.startswith('ipc server msg="listening'):   # the first line of a process
            events.append((t, "*", "start", ""))
        elif rest.startswith("venue connection"):
            cm = re.search(r"venue=(\w+) state=(\w+)", rest)
            if cm:
                events.append((t, cm.group(1), "conn", cm.group(2)))
        elif rest.startswith("risk state_change"):
            sm = re.search(r"scope=(\w+) index=(\d+) from=\w+ to=(\w+)", rest)
            if sm and sm.group(1) == "venue" and sm.group(2) in venue_index:
                events.append((t, venue_index[sm.group(2)], "state", sm.group(3)))
            elif sm and sm.group(1) == "global":
                events.append((t, "global", "state", sm.group(3)))
    out: list[str] = []
    accepts = sorted((int(r["ts"]) / 1e9, r["venue"], seq) for seq, t, r in journal
                     if t == J_ACCEPT and r["venue"] in ("binance", "ibkr"))
    conn: dict[str, str] = {}
    state: dict[str, str] = {}
    i = 0
    for ts, venue, seq in accepts:
        while i < len(events) and events[i][0] <= ts:
            _t, ven, what, val = events[i]
            if what == "start":
                conn, state = {}, {}
            elif what == "conn":
                conn[ven] = val
            else:
                state[ven] = val
            i += 1
        if conn.get(venue) != "UP" or state.get(venue) == "HALTED" \
                or state.get("global") == "HALTED":
            out.append(f"seq {seq}: {venue} order accepted while its connection was "
                       f"{conn.get(venue, 'not yet up')}, venue state {state.get(venue)}, "
                       f"global {state.get('global')}")
    for a in actions:
        parts = a.kind.split(":")
        if parts[0] != "fault" or (parts[1], parts[2]) not in CUTS:
            continue
        seen = [e for e in events if e[1] == parts[1] and e[2] == "conn"
                and e[3] in ("DOWN", "RECONCILING") and a.t - 0.5 <= e[0] <= a.t + DETECT_S]
        if not seen:
            out.append(f"{a.kind} at {a.t:.3f}: trader did not take {parts[1]} down "
                       f"within {DETECT_S:g} s")
    return out


# ---- the driver ----

def summarize(runs_path: Path) -> str:
    """Markdown of a runs.jsonl: runs, actions by kind, violations by class with seeds."""
    docs = [json.loads(line) for line in runs_path.read_text().splitlines() if line.strip()]
    kinds: collections.Counter[str] = collections.Counter()
    classes: dict[str, list[int]] = {}
    for d in docs:
        kinds.update(d["actions"])
        for v in d["violations"] + ([f"run error: {d['error']}"] if d["error"] else []):
            cls = re.sub(r"\d+(\.\d+)?", "N", v.split(":")[0])[:90]
            classes.setdefault(cls, []).append(d["seed"])
    clean = sum(1 for d in docs if not d["violations"] and not d["error"])
    lines = [f"runs: {len(docs)} (seeds {min(d['seed'] for d in docs)}..."
             f"{max(d['seed'] for d in docs)}), without violation or error: {clean}; "
             f"actions: {sum(kinds.values())}; fills checked: "
             f"{sum(sum(d['figures'].get('fills', {}).values()) for d in docs)}", "",
             "| action | count |", "|---|---:|"]
    lines += [f"| `{k}` | {n} |" for k, n in sorted(kinds.items())]
    lines += ["", "| violation (class) | runs | seeds |", "|---|---:|---|"]
    lines += [f"| {c} | {len(set(s))} | {', '.join(map(str, sorted(set(s))[:12]))} |"
              for c, s in sorted(classes.items())] or ["| none | 0 | |"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stack.chaos",
                                 description="seeded chaos runs of the whole stack")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("CHAOS_RUNS", "10")))
    ap.add_argument("--seconds", type=float, default=30.0, help="chaos per run")
    ap.add_argument("--seed-base", type=int, default=1)
    ap.add_argument("--out", type=Path, default=REPO / "build" / "chaos")
    ap.add_argument("--trader-bin", type=Path, default=None)
    ap.add_argument("--skip", action="append", default=[],
                    help="an action kind (or prefix, e.g. kill9:gateway) never to take")
    ap.add_argument("--summarize", type=Path, default=None,
                    help="print the Markdown summary of an existing runs.jsonl and exit")
    a = ap.parse_args(argv)
    stop_on_signals()
    if a.summarize is not None:
        print(summarize(a.summarize))
        return 0
    a.out.mkdir(parents=True, exist_ok=True)
    runs_path = a.out / "runs.jsonl"
    kinds: collections.Counter[str] = collections.Counter()
    bad: list[dict[str, Any]] = []
    done = 0
    t0 = time.monotonic()
    with runs_path.open("a") as fh:
        for seed in range(a.seed_base, a.seed_base + a.runs):
            res = Run(seed, a.seconds, a.trader_bin, skip=tuple(a.skip)).run()
            doc = res.to_json()
            fh.write(json.dumps(doc, default=str) + "\n")
            fh.flush()
            done += 1
            kinds.update(doc["actions"])
            status = "ok" if not (res.violations or res.error) else "VIOLATION" \
                if res.violations else "ERROR"
            print(f"seed {seed}: {status}, {len(res.actions)} actions, fills "
                  f"{res.figures.get('fills')}, {res.wall_s:.0f} s"
                  + "".join(f"\n  - {x}" for x in res.violations)
                  + (f"\n  error: {res.error}" if res.error else ""), flush=True)
            if res.violations or res.error:
                bad.append({"seed": seed, "violations": res.violations, "error": res.error})
    summary = {"runs": done, "seconds_per_run": a.seconds, "seed_base": a.seed_base,
               "skip": a.skip,
               "actions": dict(sorted(kinds.items())), "actions_total": sum(kinds.values()),
               "runs_with_violations": sum(1 for b in bad if b["violations"]),
               "violations": sum(len(b["violations"]) for b in bad),
               "runs_with_errors": sum(1 for b in bad if b["error"]), "bad": bad,
               "wall_s": round(time.monotonic() - t0)}
    (a.out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: summary[k] for k in ("runs", "actions_total", "violations",
                                              "runs_with_errors")}))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
