"""`make demo`: the whole stack offline for DEMO_MINUTES (default 3), then a readable result.

Throwaway Postgres and Redis, the three venue simulators, `trader` in paper mode on Binance and
IBKR (one config, the C quoter), the recorder (journal -> Postgres) and the gateway in paper
mode on Polymarket (the market maker when the gateway has it, else its built-in quoter), all
started and stopped by python/stack. The Polymarket simulator is fast-forwarded so several
15-minute up-or-down markets open and resolve during the run. Progress every few seconds; the
kill switch (the kill file) is exercised once at about 60 % of the run and measured; then
everything is stopped in order and the result is printed from the record (Postgres) and from
trader: orders, fills, fees, rebates, PnL per venue and in total, limit usage peaks, every risk
event, and a PNG chart (build/demo/demo_chart.png).

Environment: DEMO_MINUTES (default 3), TRADER_BIN (default bin/trader), DEMO_SEED (7),
DEMO_OUT (default build/demo). State (configs, logs, journal) goes to $DEMO_OUT/state,
emptied at the start of each run; the chart to $DEMO_OUT/demo_chart.png.
Exit status 0 only if everything started, every venue traded, the kill switch held within
1 s, and everything stopped cleanly.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

from stack import Stack, StackError, StackOptions, StopReport  # noqa: E402
from stack.runner import FinalState  # noqa: E402

VENUES = ("binance", "ibkr", "polymarket")
OUT = Path(os.environ.get("DEMO_OUT", str(REPO / "build" / "demo")))
ZERO = Decimal(0)


def say(msg: str = "") -> None:
    print(msg, flush=True)


def dec(v: Any) -> Decimal:
    try:
        return Decimal(str(v))
    except ArithmeticError:
        return ZERO


def usd(v: Decimal, width: int = 9) -> str:
    return f"{v:+{width}.2f}"


@dataclass
class Sample:
    t: float
    pnl: dict[str, Decimal]         # per venue, realized + unrealized (USD, trader's)
    exposure: dict[str, Decimal]    # per venue, MAX_EXPOSURE usage (USD, trader's)
    total: Decimal


@dataclass
class KillResult:
    at_s: float = 0.0
    halted_ms: float | None = None
    flat_ms: float | None = None
    gateway_flat_ms: float | None = None
    resumed_ms: float | None = None
    requoting_ms: float | None = None
    unkill: str = ""

    @property
    def ok(self) -> bool:
        return self.halted_ms is not None and self.flat_ms is not None \
            and self.halted_ms <= 1000 and self.flat_ms <= 1000


@dataclass
class Demo:
    stack: Stack
    duration_s: float
    t0: float = field(default_factory=time.monotonic)
    samples: list[Sample] = field(default_factory=list)
    peaks: dict[tuple[str, str], tuple[Decimal, str, str]] = field(default_factory=dict)
    markets_seen: set[str] = field(default_factory=set)
    kill: KillResult = field(default_factory=KillResult)

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    # ---- sampling ----

    def sample(self) -> dict[str, Any]:
        st = self.stack.ctl("status")
        for lim in self.stack.ctl("limits").get("limits", []):
            key = (str(lim["limit"]), str(lim["scope"]))
            value = dec(lim["value"])
            old = self.peaks.get(key)
            if old is None or value > old[0]:
                self.peaks[key] = (value, str(lim["bound"]), str(lim.get("unit", "")))
        pnl = dict.fromkeys(VENUES, ZERO)
        for p in st.get("positions", []):
            if p["venue"] in pnl:
                pnl[p["venue"]] += dec(p["realized_usd"]) + dec(p["unrealized_usd"])
        exposure = dict.fromkeys(VENUES, ZERO)
        for lim in st.get("limits", []):
            if lim["limit"] == "MAX_EXPOSURE" and lim["scope"] in exposure:
                exposure[lim["scope"]] = dec(lim["value"])
        total = dec(st["pnl_usd"]["realized"]) + dec(st["pnl_usd"]["unrealized"])
        self.samples.append(Sample(self.elapsed(), pnl, exposure, total))
        with_gw: dict[str, Any] = {"status": st, "pnl": pnl, "exposure": exposure,
                                   "total": total}
        try:
            gw = self.stack.gateway("status")
            with_gw["gateway"] = gw
            for m in gw.get("markets", []):
                self.markets_seen.add(str(m.get("slug") or m.get("condition_id")))
        except (OSError, TimeoutError, ValueError, StackError):
            with_gw["gateway"] = {}
        return with_gw

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {v: {"orders": 0, "fills": 0} for v in VENUES}
        for r in self.stack.sql("SELECT venue, count(*) AS n FROM orders GROUP BY venue"):
            out.setdefault(r["venue"], {"orders": 0, "fills": 0})["orders"] = int(r["n"])
        for r in self.stack.sql("SELECT venue, count(*) AS n FROM fills GROUP BY venue"):
            out.setdefault(r["venue"], {"orders": 0, "fills": 0})["fills"] = int(r["n"])
        return out

    def resolved(self) -> int:
        """Markets trader has booked as resolved (one market-scope state change each)."""
        text = self.stack.log_path("trader").read_text(errors="replace")
        return text.count("reason=RESOLVED text=")

    def progress(self, s: dict[str, Any]) -> None:
        st = s["status"]
        counts = self.counts()
        opens = Counter(str(o["venue"]) for o in self.stack.ctl("orders").get("orders", []))
        say(f"  t={self.elapsed():5.0f}s  global {st['states']['global']:<8} "
            f"open orders {st['open_orders']:<3} PnL {usd(s['total'], 7)} USD "
            f"(fees {dec(st['pnl_usd']['fees']):.2f})")
        for v in VENUES:
            conn = st.get("connections", {}).get(v, {}).get("state", "")
            extra = f"conn {conn}" if conn else ""
            if v == "polymarket":
                gw = s.get("gateway") or {}
                extra = (f"gw {gw.get('state', '?')}, {len(gw.get('markets', []))} markets, "
                         f"seen {len(self.markets_seen)}, resolved {self.resolved()}")
            c = counts.get(v, {"orders": 0, "fills": 0})
            say(f"    {v:<10} {st['states'].get(v, '?'):<8} orders {c['orders']:>4} "
                f"(open {opens.get(v, 0):>2}) fills {c['fills']:>4}  PnL {usd(s['pnl'][v], 7)}"
                f"  exposure {s['exposure'][v]:6.2f}  {extra}")

    # ---- the kill switch ----

    def exercise_kill(self) -> None:
        k = self.kill
        k.at_s = self.elapsed()
        kf = self.stack.kill_file
        before = self.stack.ctl("status")["states"]["global"]   # a limit may hold REDUCING
        say(f"  -> kill switch: touch {kf.relative_to(self.stack.state.parent)}")
        t0 = time.monotonic()
        kf.touch()
        deadline = t0 + 5.0
        while time.monotonic() < deadline and (k.halted_ms is None or k.flat_ms is None):
            st = self.stack.ctl("status")
            now_ms = (time.monotonic() - t0) * 1000
            # a kill halts the global scope, which every venue's effective state follows
            halted = st["states"].get("global") == "HALTED"
            if halted and k.halted_ms is None:
                k.halted_ms = now_ms
            if halted and st["open_orders"] == 0 and k.flat_ms is None:
                k.flat_ms = now_ms
            time.sleep(0.005)
        gw_deadline = time.monotonic() + 5.0
        while time.monotonic() < gw_deadline:
            try:
                gw = self.stack.gateway("status")
            except (OSError, TimeoutError, ValueError):
                break
            if not gw.get("open_orders"):
                k.gateway_flat_ms = (time.monotonic() - t0) * 1000
                break
            time.sleep(0.01)
        opens = Counter(str(o["venue"]) for o in self.stack.ctl("orders").get("orders", []))
        st = self.stack.ctl("status")
        say(f"     global HALTED after {fmt_ms(k.halted_ms)}, zero open orders after "
            f"{fmt_ms(k.flat_ms)} (trader's book: "
            + ", ".join(f"{v} {opens.get(v, 0)}" for v in VENUES)
            + f"; gateway resting orders 0 after {fmt_ms(k.gateway_flat_ms)})")
        say("     scope states: " + " ".join(f"{n}={s}" for n, s in st["states"].items())
            + " (a venue trades only while it and global are ACTIVE)")
        time.sleep(1.0)    # hold the halt a moment: the quoters must stay quiet
        st = self.stack.ctl("status")
        say(f"     1 s later: global {st['states']['global']}, open orders {st['open_orders']}")
        kf.unlink()
        t1 = time.monotonic()
        res = self.stack.ctl("unkill", "demo: kill switch exercised", check=False)
        k.unkill = "ok" if res.get("_rc") == 0 else f"refused: {res}"
        try:
            from stack.procs import wait_for  # noqa: PLC0415

            wait_for(f"trader back to {before}", lambda: self.stack.ctl("status")["states"]
                     ["global"] == before, 10.0)
            k.resumed_ms = (time.monotonic() - t1) * 1000
            if before == "ACTIVE":
                wait_for("gateway quoting", lambda: self.stack.gateway("status").get("state")
                         == "QUOTING", 15.0, interval=0.05)
                k.requoting_ms = (time.monotonic() - t1) * 1000
        except StackError as exc:
            say(f"     !! {exc}")
        say(f"  -> kill file removed, `trader ctl unkill` {k.unkill}: {before} again after "
            f"{fmt_ms(k.resumed_ms)}, gateway quoting again after {fmt_ms(k.requoting_ms)}")


def fmt_ms(v: float | None) -> str:
    return "NOT REACHED" if v is None else f"{v:.0f} ms"


# ---- the result ----

def summary(demo: Demo, fin: FinalState) -> dict[str, Any]:
    """Everything the result needs from the record, read before Postgres stops."""
    s = demo.stack
    q: dict[str, Any] = {}
    q["orders"] = s.sql("SELECT venue, status, count(*) AS n FROM orders GROUP BY 1, 2")
    q["fills"] = s.sql(
        "SELECT venue, count(*) AS n, sum(price * quantity * usd_rate) AS volume, "
        "sum(fee * usd_rate) AS fees, count(*) FILTER (WHERE liquidity = 'maker') AS maker, "
        "count(*) FILTER (WHERE liquidity = 'taker') AS taker FROM fills GROUP BY venue")
    q["rebates"] = s.sql("SELECT venue, kind, sum(amount) AS amount, count(*) AS n "
                         "FROM rebates GROUP BY 1, 2")
    q["positions"] = s.sql("SELECT venue, sum(realized_pnl_usd) AS realized, "
                           "count(*) FILTER (WHERE quantity <> 0) AS open FROM positions "
                           "GROUP BY venue")
    q["risk_events"] = s.sql("SELECT at, scope, scope_name, state, reason, text, instrument "
                             "FROM risk_events ORDER BY at, seq")
    q["rejects"] = s.sql(
        "SELECT venue, split_part(regexp_replace(reason, '^not sent: ', ''), ':', 1) AS code, "
        "count(DISTINCT order_key) AS n FROM order_events WHERE kind = 'reject' "
        "GROUP BY 1, 2 ORDER BY 3 DESC")
    q["alerts"] = s.sql("SELECT at, kind, severity, text FROM alerts ORDER BY at")
    q["book_snapshots"] = s.sql("SELECT venue, count(*) AS n FROM book_snapshots GROUP BY venue")
    return q


LOG_EVENT = re.compile(r"^(\S+) (WARN|ERROR) (risk (?:state_change|limit_breach|position_stop|"
                       r"daily_reset|anomaly)|app (?:kill|unkill)) (.*)$")
LONG_ID = re.compile(r"\b(0x[0-9a-f]{8})[0-9a-f]{20,}|\b([0-9]{8})[0-9]{20,}")


def short_ids(text: str) -> str:
    """Condition ids and token ids cut to their first digits (still distinct per market)."""
    return LONG_ID.sub(lambda m: (m.group(1) or m.group(2)) + "…", text)
LOG_REJECT = re.compile(r" INFO risk reject venue=(\S+) sym=\S+ code=(\S+)")


def trader_log_events(path: Path) -> tuple[list[str], Counter[tuple[str, str]]]:
    events: list[str] = []
    rejects: Counter[tuple[str, str]] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        if m := LOG_EVENT.match(line):
            rest = re.sub(r" index=\d+", "", m.group(4))
            events.append(f"{m.group(1)[11:23]} {m.group(3):<18} {short_ids(rest)}")
        elif m := LOG_REJECT.search(line):
            rejects[(m.group(1), m.group(2))] += 1
    return events, rejects


def print_result(demo: Demo, fin: FinalState, q: dict[str, Any]) -> dict[str, int]:
    st = fin.trader_status
    say("\n================ result ================")
    orders: dict[str, Counter[str]] = {v: Counter() for v in VENUES}
    for r in q["orders"]:
        orders.setdefault(r["venue"], Counter())[r["status"]] = int(r["n"])
    fills = {r["venue"]: r for r in q["fills"]}
    rebates: dict[str, Decimal] = {}
    for r in q["rebates"]:
        sign = 1 if r["kind"] == "rebate" else -1
        rebates[r["venue"]] = rebates.get(r["venue"], ZERO) + sign * dec(r["amount"])
    realized = dict.fromkeys(VENUES, ZERO)
    unrealized = dict.fromkeys(VENUES, ZERO)
    for p in st.get("positions", []):
        if p["venue"] in realized:
            realized[p["venue"]] += dec(p["realized_usd"])
            unrealized[p["venue"]] += dec(p["unrealized_usd"])
    rec_realized = {r["venue"]: dec(r["realized"]) for r in q["positions"]}
    fill_counts: dict[str, int] = {}
    say(f"{'venue':<11}{'orders':>7}{'filled':>7}{'cancel':>7}{'reject':>7}{'fills':>7}"
        f"{'maker':>6}{'volume $':>10}{'fees $':>9}{'rebates $':>10}{'realized':>10}"
        f"{'unreal.':>9}{'PnL $':>9}")
    tot = dict.fromkeys(("orders", "fills", "volume", "fees", "rebates", "real", "unreal"), ZERO)
    for v in VENUES:
        o = orders.get(v, Counter())
        f = fills.get(v, {})
        n_fills = int(f.get("n") or 0)
        fill_counts[v] = n_fills
        vol, fees = dec(f.get("volume") or 0), dec(f.get("fees") or 0)
        reb = rebates.get(v, ZERO)
        pnl = realized[v] + unrealized[v]
        say(f"{v:<11}{sum(o.values()):>7}{o.get('filled', 0):>7}{o.get('cancel', 0):>7}"
            f"{o.get('reject', 0):>7}{n_fills:>7}{int(f.get('maker') or 0):>6}{vol:>10.2f}"
            f"{fees:>9.4f}{reb:>10.4f}{realized[v]:>10.4f}{unrealized[v]:>9.4f}{pnl:>9.4f}")
        for k, x in (("orders", Decimal(sum(o.values()))), ("fills", Decimal(n_fills)),
                     ("volume", vol), ("fees", fees), ("rebates", reb),
                     ("real", realized[v]), ("unreal", unrealized[v])):
            tot[k] += x
    pnl_usd = st.get("pnl_usd", {})
    say(f"{'total':<11}{tot['orders']:>7}{'':>21}{tot['fills']:>7}{'':>6}{tot['volume']:>10.2f}"
        f"{tot['fees']:>9.4f}{tot['rebates']:>10.4f}{tot['real']:>10.4f}{tot['unreal']:>9.4f}"
        f"{tot['real'] + tot['unreal']:>9.4f}")
    say(f"trader's PnL (the risk authority): realized {pnl_usd.get('realized')} unrealized "
        f"{pnl_usd.get('unrealized')} fees {pnl_usd.get('fees')} USD; realized is net of fees.")
    checks = []
    for v in VENUES:
        if v in rec_realized or realized[v]:
            diff = abs(rec_realized.get(v, ZERO) - realized[v])
            checks.append(f"{v} {'same' if diff < Decimal('0.01') else 'differs'} "
                          f"({rec_realized.get(v, ZERO):.4f})")
    say("realized PnL in Postgres positions vs trader: " + ", ".join(checks))
    rep = fin.gateway_report
    if rep:
        say(f"polymarket (gateway report): {rep.get('fills')} fills, volume "
            f"{rep.get('volume_usdc')} USDC, taker fees {rep.get('fees_usdc')}, shares by "
            f"liquidity {rep.get('shares_by_liquidity')}; maker fee-equivalent volume (the "
            f"rebate weight) {rep.get('maker_fee_equivalent')} USDC.")
    if q["rebates"]:
        say("rebates: " + ", ".join(f"{r['venue']} {r['kind']} {dec(r['amount']):.4f} "
                                    f"({r['n']} rows)" for r in q["rebates"])
            + ". In paper mode these are the gateway's estimate (rebate rate x the taker fee "
            "on our maker fills); the venue pays rebates daily, pro rata from a pool shared "
            "by all makers. Not in trader's PnL.")
    else:
        say("rebates: none recorded (Polymarket pays maker rebates daily from a pool; the "
            "paper exchange matches internally, docs/GATEWAY.md).")
    say(f"markets: {len(demo.markets_seen)} Polymarket markets quoted, {demo.resolved()} "
        f"resolved and booked by trader; book snapshots recorded: "
        + ", ".join(f"{r['venue']} {r['n']}" for r in q["book_snapshots"]))

    say("\nlimit usage peaks (sampled `trader ctl --json limits`):")
    for (limit, scope), (value, bound, unit) in sorted(demo.peaks.items()):
        if value == 0:
            continue
        pct = ""
        if bound not in ("unlimited", "", "0"):
            pct = f"{value / dec(bound) * 100:6.1f} %"
        say(f"  {limit:<18} {scope:<11} {value!s:>14} / {bound:<10} {unit:<6} {pct}")
    say("  (CANCEL_FILL_RATIO is enforced only after 100 events in its window, 200 on "
        "polymarket: docs/RISK.md)")

    events, log_rejects = trader_log_events(demo.stack.log_path("trader"))
    say(f"\nrisk events ({len(events)}, trader's log: state changes, breaches, kills):")
    for e in events:
        say("  " + e)
    other = [e for e in q["risk_events"] if e["state"] != "RESOLVED"]
    resolved = {(e["instrument"], e["text"].endswith("won")) for e in q["risk_events"]
                if e["state"] == "RESOLVED"}
    say(f"recorded in Postgres risk_events: {len(other)} state records, and the resolution of "
        f"{len(resolved)} outcome tokens ({sum(1 for _, won in resolved if won)} won)"
        + (":" if other else ""))
    for e in other:
        say(f"  {e['at'].strftime('%H:%M:%S.%f')[:12]} {e['scope']:<7} {e['scope_name']:<10} "
            f"{e['state']:<9} {short_ids(e['text'])}")
    rejects = Counter({(r["venue"], r["code"]): int(r["n"]) for r in q["rejects"]})
    rejects.update(log_rejects)
    say("orders refused (risk check or venue) or not sent, by venue and reason: "
        + (", ".join(f"{v} {c} x{n}" for (v, c), n in rejects.most_common()) or "none"))
    if q["alerts"]:
        say(f"alerts recorded ({len(q['alerts'])}): "
            + "; ".join(f"{a['kind']}: {a['text'][:60]}" for a in q["alerts"][:10]))
    kr = demo.kill
    say(f"\nkill switch at t={kr.at_s:.0f}s: HALTED after {fmt_ms(kr.halted_ms)}, zero open "
        f"orders after {fmt_ms(kr.flat_ms)}, resumed after {fmt_ms(kr.resumed_ms)} -> "
        f"{'OK (< 1 s)' if kr.ok else 'FAILED'}")
    if fin.flatten_s is not None:
        say(f"stop: gateway stopped, trader flattened in {fin.flatten_s * 1000:.0f} ms, recorder "
            f"caught up to journal seq {fin.recorder_seq} (trader {fin.trader_jseq})")
    return fill_counts


def chart(demo: Demo, path: Path) -> Path:
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    t = [s.t for s in demo.samples]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    for v in VENUES:
        ax1.plot(t, [float(s.pnl[v]) for s in demo.samples], label=v)
        ax2.plot(t, [float(s.exposure[v]) for s in demo.samples], label=v)
    ax1.plot(t, [float(s.total) for s in demo.samples], label="total", color="black",
             linewidth=2)
    for ax in (ax1, ax2):
        if demo.kill.at_s:
            ax.axvline(demo.kill.at_s, color="red", linestyle="--", linewidth=1)
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
    ax1.set_ylabel("PnL, USD (realized + unrealized)")
    ax2.set_ylabel("exposure, USD (worst case)")
    ax2.set_xlabel("seconds since the stack was up (red: kill switch)")
    ax1.set_title("make demo: PnL and exposure per venue (trader's risk engine)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def print_stop(rep: StopReport) -> None:
    say("\nstop: " + "; ".join(rep.steps))
    say(f"left running: {rep.left_running or 'nothing'}; files outside the state dir: "
        f"{rep.stray_paths or 'none'}" + (f"; errors: {rep.errors}" if rep.errors else ""))


# ---- main ----

def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _patient(signum: int, frame: FrameType | None) -> None:
    say("  (stopping cleanly, please wait)")


def run(minutes: float) -> int:
    wall0 = time.monotonic()
    duration = minutes * 60.0
    # the Polymarket simulator runs an hour of markets per real minute (4 windows of 15 min)
    # for short demos, at least 30x; Binance and IBKR stay slower (their fees are per fill)
    poly_speed = max(30.0, 3600.0 / duration)
    state = OUT / "state"
    shutil.rmtree(state, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    opts = StackOptions(state_dir=state, seed=int(os.environ.get("DEMO_SEED", "7")),
                        speed={"binance": 5.0, "ibkr": 5.0, "polymarket": poly_speed},
                        progress=lambda m: say("  " + m))
    say(f"make demo: the whole stack for {minutes:g} min (Polymarket simulator at "
        f"{poly_speed:g}x: a 15-minute market every {900 / poly_speed:.0f} s); state in "
        f"{state}; trader {opts.trader_bin}")
    stack = Stack(opts)
    demo: Demo | None = None
    fin: FinalState | None = None
    fill_counts: dict[str, int] = {}
    rc = 1
    try:
        stack.start()
        say(f"stack up in {time.monotonic() - wall0:.1f} s; trading for {minutes:g} min "
            f"(Ctrl-C stops cleanly)")
        demo = Demo(stack, duration)
        every = min(15.0, max(5.0, duration / 12))
        next_print = 0.0
        killed = False
        while (el := demo.elapsed()) < duration:
            s = demo.sample()
            if el >= next_print:
                demo.progress(s)
                next_print = el + every
            if not killed and el >= 0.6 * duration:
                demo.exercise_kill()
                killed = True
                next_print = demo.elapsed()
            for p in stack.procs.values():
                p.check_running()
            time.sleep(max(0.0, min(2.0, duration - demo.elapsed())))
        if next_print - every < demo.elapsed() - 2.0:
            demo.progress(demo.sample())
        say("\nstopping: gateway, flatten trader (kill), recorder catch-up ...")
        fin = stack.stop_trading()
        q = summary(demo, fin)
        fill_counts = print_result(demo, fin, q)
        rc = 0
    except KeyboardInterrupt as exc:
        say(f"\ninterrupted ({exc or 'SIGINT'}): stopping everything")
        rc = 130
    except StackError as exc:
        say(f"\nFAILED: {exc}")
        rc = 1
    finally:
        signal.signal(signal.SIGINT, _patient)
        signal.signal(signal.SIGTERM, _patient)
        rep = stack.stop()
        print_stop(rep)
    if demo is not None and demo.samples:
        say(f"chart: {chart(demo, OUT / 'demo_chart.png')}")
    say(f"logs and configs: {state}")
    if rc == 0:
        missing = [v for v in VENUES if fill_counts.get(v, 0) == 0]
        problems = ([f"no fills on {', '.join(missing)}"] if missing else []) \
            + ([] if demo is not None and demo.kill.ok else ["kill switch not within 1 s"]) \
            + ([] if rep.clean else ["stop was not clean"])
        if problems:
            say("demo FAILED: " + "; ".join(problems))
            rc = 1
    say(f"wall time {time.monotonic() - wall0:.0f} s, exit {rc}")
    return rc


def main() -> int:
    try:
        minutes = float(os.environ.get("DEMO_MINUTES", "3"))
    except ValueError:
        say("DEMO_MINUTES must be a number of minutes")
        return 2
    if not 0.25 <= minutes <= 120:
        say("DEMO_MINUTES must be between 0.25 and 120")
        return 2
    signal.signal(signal.SIGTERM, _interrupt)
    return run(minutes)


if __name__ == "__main__":
    sys.exit(main())
