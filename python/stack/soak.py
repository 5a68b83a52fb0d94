"""Soak: the demo stack (python/stack, the simulators fast-forwarded) for N minutes while the
resident memory (VmRSS) and the open file descriptors of every process are sampled from
/proc; then growth after warm-up, a CSV and two PNG charts.

    python -m stack.soak --minutes 60 --interval 5 --out build/soak

Each part (trader, recorder, gateway, the three simulators, Postgres, Redis) is measured as
its process and all its descendants (summed), so a leaked child or Postgres backend shows as
growth too. Besides VmRSS the CSV has RssAnon (private memory): Postgres's shared buffers
count in the VmRSS of every backend that touched them, so its VmRSS grows while the buffer
cache warms without any leak.
Nothing is restarted during a soak: a part that dies ends it with an error.

Growth: the first `--warmup` fraction (default 10 %) of the run is warm-up; the baseline is
the median of the next 10 % of samples, the end the median of the last 10 %; growth =
end / baseline - 1. File descriptors: the most open after warm-up minus the baseline
median. The verdict (growth < 5 %, no fd growth) is printed and written to summary.json;
the exit status is 0 when the run completed, whatever the verdict (the figures are the
result, not a pass/fail of this program).
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stack.configs import REPO, STACK_RISK
from stack.procs import StackError, stop_on_signals
from stack.runner import Stack, StackOptions

PARTS = ("trader", "recorder", "gateway", "sim_binance", "sim_ibkr", "sim_polymarket",
         "postgres", "redis")
RSS_LIMIT = 0.05        # growth after warm-up that counts as a leak


def keep_trading_risk() -> dict[str, Any]:
    """The demo's risk section with the loss limits out of the way. On the simulators every
    small round trip loses its fees, so the demo's daily-loss bounds ($50 global, $15 IBKR,
    $25 Polymarket) put the venues into REDUCING within minutes and a soak would then
    measure an idle stack. Position, exposure and order limits stay as in the demo."""
    risk = copy.deepcopy(STACK_RISK)
    g = risk.setdefault("global", {})
    g.update(max_daily_loss_usd="100000", starting_capital_usd="1000000",
             position_stop_usd="100000")
    for venue in ("binance", "ibkr", "polymarket"):
        risk.setdefault("venues", {}).setdefault(venue, {})["max_daily_loss_usd"] = "100000"
    return risk


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, from one scan of /proc (zombies left out)."""
    out: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        rest = stat.rsplit(") ", 1)[-1].split()
        if len(rest) < 2 or rest[0] == "Z":
            continue
        out.setdefault(int(rest[1]), []).append(int(d))
    return out


def _tree(leader: int, children: dict[int, list[int]]) -> list[int]:
    """The leader and all its descendants (Postgres backends call setsid(), so a process
    group would miss them)."""
    out, todo = [], [leader]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def _mem_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, RssAnon) in kB: RssAnon leaves out file and shared pages (Postgres's shared
    buffers count in the VmRSS of every backend that touched them)."""
    rss = anon = 0
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("RssAnon:"):
                    anon = int(line.split()[1])
    except OSError:
        pass
    return rss, anon


def _fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def part_pids(stack: Stack) -> dict[str, int]:
    """The group leader of every part that runs now."""
    out: dict[str, int] = {}
    for name, p in stack.procs.items():
        if p.alive():
            out[name] = p.pid
    for name, handle in (("postgres", stack.pg), ("redis", stack.redis)):
        if handle is not None and handle.proc is not None and handle.proc.poll() is None:
            out[name] = handle.proc.pid
    return out


@dataclass
class Sample:
    t_s: float
    part: str
    procs: int
    rss_kb: int
    anon_kb: int
    fds: int


def sample(stack: Stack, t_s: float) -> list[Sample]:
    children = _children()
    rows = []
    for name, leader in part_pids(stack).items():
        pids = _tree(leader, children)
        mem = [_mem_kb(p) for p in pids]
        rows.append(Sample(t_s=round(t_s, 2), part=name, procs=len(pids),
                           rss_kb=sum(m[0] for m in mem), anon_kb=sum(m[1] for m in mem),
                           fds=sum(_fds(p) for p in pids)))
    return rows


@dataclass
class Growth:
    part: str
    samples: int
    rss_base_mb: float
    rss_end_mb: float
    rss_growth: float          # fraction
    rss_max_mb: float
    anon_base_mb: float
    anon_end_mb: float
    anon_growth: float
    fd_base: float
    fd_end: float
    fd_max_after_warmup: int
    procs_base: float
    procs_end: float

    @property
    def ok(self) -> bool:
        return self.rss_growth < RSS_LIMIT and self.fd_end <= self.fd_base


def growth(rows: list[Sample], duration_s: float, warmup: float = 0.10) -> list[Growth]:
    out: list[Growth] = []
    w0, w1 = warmup * duration_s, (warmup + 0.10) * duration_s
    tail0 = 0.90 * duration_s
    for part in sorted({r.part for r in rows}):
        mine = [r for r in rows if r.part == part]
        base = [r for r in mine if w0 <= r.t_s < w1] or mine[:1]
        end = [r for r in mine if r.t_s >= tail0] or mine[-1:]
        after = [r for r in mine if r.t_s >= w0] or mine
        rb = statistics.median(r.rss_kb for r in base)
        re = statistics.median(r.rss_kb for r in end)
        ab = statistics.median(r.anon_kb for r in base)
        ae = statistics.median(r.anon_kb for r in end)
        out.append(Growth(
            part=part, samples=len(mine), rss_base_mb=rb / 1024, rss_end_mb=re / 1024,
            rss_growth=(re / rb - 1) if rb else 0.0,
            rss_max_mb=max(r.rss_kb for r in after) / 1024,
            anon_base_mb=ab / 1024, anon_end_mb=ae / 1024,
            anon_growth=(ae / ab - 1) if ab else 0.0,
            fd_base=statistics.median(r.fds for r in base),
            fd_end=statistics.median(r.fds for r in end),
            fd_max_after_warmup=max(r.fds for r in after),
            procs_base=statistics.median(r.procs for r in base),
            procs_end=statistics.median(r.procs for r in end)))
    return out


def charts(rows: list[Sample], out: Path, duration_s: float, warmup: float) -> list[Path]:
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    paths = []
    for key, label, fname in (("rss_kb", "RSS (MB)", "rss.png"),
                              ("fds", "open file descriptors", "fds.png")):
        fig, ax = plt.subplots(figsize=(10, 5.5))
        for part in sorted({r.part for r in rows}):
            mine = [r for r in rows if r.part == part]
            ys = [getattr(r, key) / (1024 if key == "rss_kb" else 1) for r in mine]
            ax.plot([r.t_s / 60 for r in mine], ys, label=part, linewidth=1.2)
        ax.axvline(warmup * duration_s / 60, color="grey", linestyle="--", linewidth=0.8)
        ax.set_xlabel("minutes (dashed: end of warm-up)")
        ax.set_ylabel(label)
        ax.set_title(f"soak: {label} per process (+ children), {duration_s / 60:.0f} min")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, ncol=2)
        fig.tight_layout()
        p = out / fname
        fig.savefig(p, dpi=90)
        plt.close(fig)
        paths.append(p)
    return paths


def _trading(stack: Stack) -> dict[str, Any]:
    """Whether the stack still trades: fills in the record, trader's states."""
    doc: dict[str, Any] = {}
    try:
        rows = stack.sql("SELECT venue, count(*) AS n FROM fills GROUP BY venue")
        doc["fills"] = {r["venue"]: int(r["n"]) for r in rows}
    except Exception as exc:    # the figure is informative only
        doc["fills_error"] = repr(exc)
    try:
        st = stack.ctl("status")
        doc["states"] = st.get("states")
        doc["jseq"] = st.get("jseq")
    except (StackError, ValueError) as exc:
        doc["status_error"] = str(exc)
    return doc


def run(minutes: float, interval: float, out: Path, *, seed: int, warmup: float,
        trader_bin: Path | None, keep_trading: bool = True,
        say: Any = print) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    duration = minutes * 60
    opts = StackOptions(seed=seed, speed={"binance": 5.0, "ibkr": 5.0, "polymarket": 30.0},
                        progress=lambda m: say("  " + m))
    if keep_trading:
        opts.risk = keep_trading_risk()
    if trader_bin is not None:
        opts.trader_bin = trader_bin
    stack = Stack(opts)
    rows: list[Sample] = []
    progress: list[dict[str, Any]] = []
    problems: list[str] = []
    t_start = time.monotonic()
    csv_path = out / "soak.csv"
    try:
        stack.start()
        say(f"stack up in {time.monotonic() - t_start:.0f} s; soaking {minutes:g} min, "
            f"sampling every {interval:g} s into {csv_path}")
        t0 = time.monotonic()
        next_progress = 0.0
        with csv_path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["t_s", "part", "procs", "rss_kb", "anon_kb", "fds"])
            while (now := time.monotonic() - t0) < duration:
                for r in sample(stack, now):
                    rows.append(r)
                    w.writerow([r.t_s, r.part, r.procs, r.rss_kb, r.anon_kb, r.fds])
                fh.flush()
                dead = [n for n, p in stack.procs.items() if not p.alive()]
                if dead:
                    problems.append(f"died during the soak at {now:.0f} s: {dead}")
                    say(problems[-1])
                    break
                if now >= next_progress:
                    doc = _trading(stack)
                    doc["t_s"] = round(now, 1)
                    progress.append(doc)
                    tot = {r.part: r.rss_kb // 1024 for r in rows[-len(PARTS):]}
                    say(f"  {now / 60:5.1f} min: fills {doc.get('fills')}, "
                        f"states {doc.get('states')}, RSS MB {tot}")
                    next_progress = now + 300
                time.sleep(max(0.0, interval - ((time.monotonic() - t0) - now)))
        actual = time.monotonic() - t0
        fin = stack.stop_trading()
        problems += fin.problems
    finally:
        rep = stack.stop()
    notes: list[str] = []
    if rep.left_running or rep.errors or any("SIGKILL" in s for s in rep.steps):
        problems.append(f"stop not clean: {rep}")
    if rep.stray_paths:     # other work in the same checkout creates files too: a note
        notes.append(f"new paths outside the state dir: {rep.stray_paths}")
    g = growth(rows, actual, warmup)
    pngs = charts(rows, out, actual, warmup) if rows else []
    summary: dict[str, Any] = {
        "minutes_requested": minutes, "minutes_run": round(actual / 60, 2),
        "interval_s": interval, "seed": seed, "warmup": warmup,
        "speed": opts.speed, "samples": len(rows), "rss_limit": RSS_LIMIT,
        "keep_trading": keep_trading,
        "parts": [dict(vars(x), ok=x.ok) for x in g],
        "all_ok": all(x.ok for x in g) and not problems,
        "trading": progress, "problems": problems, "notes": notes,
        "csv": str(csv_path), "charts": [str(p) for p in pngs],
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str))
    return summary


def table(summary: dict[str, Any]) -> str:
    lines = ["| process (+ children) | RSS base MB | RSS end MB | RSS growth | "
             "anon growth | fds base -> end (max) | procs |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for p in summary["parts"]:
        lines.append(
            f"| {p['part']} | {p['rss_base_mb']:.1f} | {p['rss_end_mb']:.1f} | "
            f"{p['rss_growth'] * 100:+.1f} % | {p['anon_growth'] * 100:+.1f} % | "
            f"{p['fd_base']:g} -> {p['fd_end']:g} "
            f"({p['fd_max_after_warmup']}) | {p['procs_base']:g} -> {p['procs_end']:g} |")
    return "\n".join(lines)


def curve_table(csv_path: Path, points: int = 10) -> str:
    """RSS (MB) and open fds of every part at `points` + 1 evenly spaced moments of a soak's
    CSV, as Markdown (the curves of the PNGs, in text)."""
    with csv_path.open() as fh:
        rows = list(csv.DictReader(fh))
    by: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by.setdefault(r["part"], []).append(r)
    end = max(float(r["t_s"]) for r in rows)
    marks = [end * i / points for i in range(points + 1)]

    def at(rs: list[dict[str, str]], t: float) -> dict[str, str]:
        return min(rs, key=lambda r: abs(float(r["t_s"]) - t))

    parts = [p for p in PARTS if p in by]
    lines = ["| minute | " + " | ".join(f"{m / 60:.0f}" for m in marks) + " |",
             "|---|" + "---:|" * len(marks)]
    for key, label in (("rss_kb", "RSS MB"), ("fds", "fds")):
        for p in parts:
            vals = [int(at(by[p], m)[key]) for m in marks]
            cells = [f"{v / 1024:.0f}" if key == "rss_kb" else str(v) for v in vals]
            lines.append(f"| {p} {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stack.soak", description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--interval", type=float, default=5.0, help="seconds between samples")
    ap.add_argument("--warmup", type=float, default=0.10, help="fraction of the run")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=REPO / "build" / "soak")
    ap.add_argument("--trader-bin", type=Path, default=None)
    ap.add_argument("--demo-limits", action="store_true",
                    help="keep the demo's loss limits (the venues go REDUCING within minutes)")
    ap.add_argument("--table", type=Path, default=None,
                    help="print the curves of an existing soak.csv as Markdown and exit")
    a = ap.parse_args(argv)
    stop_on_signals()
    if a.table is not None:
        print(curve_table(a.table))
        return 0
    summary = run(a.minutes, a.interval, a.out, seed=a.seed, warmup=a.warmup,
                  trader_bin=a.trader_bin, keep_trading=not a.demo_limits,
                  say=lambda m: print(m, flush=True))
    print(table(summary))
    print(f"ran {summary['minutes_run']} min; verdict: "
          f"{'no growth' if summary['all_ok'] else 'GROWTH OR PROBLEMS'}; "
          f"problems: {summary['problems'] or 'none'}")
    return 0 if not summary["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
