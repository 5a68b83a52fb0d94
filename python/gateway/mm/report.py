"""Learning reports: pure figures over orders, fills, spreads, book snapshots and settlements,
a text rendering, and one PNG chart per figure (matplotlib, Agg backend).

The inputs are the replay's records; the Postgres query layer (later) maps stored rows to them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from gateway.mm.paper import PaperFill
from gateway.mm.replay import OrderLog, Settlement, SpreadSample
from gateway.mm.types import ONE, ZERO, Book

NS = 1_000_000_000
OwnSize = Callable[[str, int, str, Decimal], Decimal]  # (market, ts, "bid"/"ask", price) -> ours


@dataclass(frozen=True, slots=True)
class Rate:
    key: str
    placed: int
    filled: int

    @property
    def rate(self) -> Decimal:
        return Decimal(self.filled) / self.placed if self.placed else ZERO


@dataclass(frozen=True, slots=True)
class PnlSplit:
    spread: Decimal  # maker fills' edge against the mid at fill time
    rebates: Decimal
    fees: Decimal  # taker fees paid (a cost, >= 0)
    inventory: Decimal  # everything else: price moves on held shares and settlement
    total: Decimal


@dataclass(frozen=True, slots=True)
class Report:
    by_price: list[Rate]
    by_level: list[Rate]
    fill_seconds: list[float]
    rebates: Decimal
    maker_volume: Decimal
    spread_by_minute: list[tuple[int, Decimal]]
    competitor_by_minute: list[tuple[int, Decimal]]
    pnl: PnlSplit
    fills: int
    orders: int
    levels_filled: dict[int, int]

    @property
    def rebate_per_dollar(self) -> Decimal:
        return self.rebates / self.maker_volume if self.maker_volume else ZERO


def fill_rates(orders: Sequence[OrderLog], key: Callable[[OrderLog], str]) -> list[Rate]:
    """Placed resting orders and how many of them got any fill, per key."""
    placed: dict[str, int] = defaultdict(int)
    filled: dict[str, int] = defaultdict(int)
    for o in orders:
        if not o.post_only:
            continue
        k = key(o)
        placed[k] += 1
        filled[k] += o.filled > 0
    return [Rate(k, placed[k], filled[k]) for k in sorted(placed)]


def price_bucket(o: OrderLog) -> str:
    lo = (o.price * 10).to_integral_value(rounding="ROUND_FLOOR") / 10
    return f"{lo:.1f}-{lo + Decimal('0.1'):.1f}"


def level_key(o: OrderLog) -> str:
    return {0: "exit", 9: "explore"}.get(o.level, f"L{o.level}")


def fill_seconds(orders: Sequence[OrderLog]) -> list[float]:
    return sorted(
        (o.first_fill_ns - o.placed_ns) / NS
        for o in orders
        if o.post_only and o.first_fill_ns is not None
    )


def spread_by_minute(spreads: Sequence[SpreadSample]) -> list[tuple[int, Decimal]]:
    """Mean spread per minute of a market's life (0..14 for 15-minute markets)."""
    acc: dict[int, list[Decimal]] = defaultdict(list)
    for s in spreads:
        acc[s.seconds_in // 60].append(s.spread)
    return [(m, sum(v, ZERO) / len(v)) for m, v in sorted(acc.items())]


def competitor_by_minute(
    books: Sequence[tuple[str, Book]], start_ns: dict[str, int], own: OwnSize | None = None
) -> list[tuple[int, Decimal]]:
    """Mean size changed per snapshot interval (sum of |delta| over price levels, our own resting
    size taken out of each level first), per minute of the market's life."""
    prev: dict[str, dict[tuple[str, Decimal], Decimal]] = {}
    acc: dict[int, list[Decimal]] = defaultdict(list)
    for market, book in books:
        levels: dict[tuple[str, Decimal], Decimal] = {}
        for side, lvls in (("bid", book.bids), ("ask", book.asks)):
            for lv in lvls:
                ours = own(market, book.ts_ns, side, lv.price) if own else ZERO
                levels[(side, lv.price)] = max(ZERO, lv.size - ours)
        before = prev.get(market)
        if before is not None:
            keys = before.keys() | levels.keys()
            change = sum((abs(levels.get(k, ZERO) - before.get(k, ZERO)) for k in keys), ZERO)
            acc[(book.ts_ns - start_ns.get(market, book.ts_ns)) // NS // 60].append(change)
        prev[market] = levels
    return [(m, sum(v, ZERO) / len(v)) for m, v in sorted(acc.items())]


def pnl_split(fills: Sequence[PaperFill], settlements: Sequence[Settlement]) -> PnlSplit:
    """total = cash (sells - buys - fees + settlement payouts) + rebates, for fully settled
    markets; spread = maker fills against the mid; inventory = the rest."""
    cash = sum((s.payout for s in settlements), ZERO)
    spread = rebates = fees = ZERO
    for f in fills:
        notional = f.price * f.size
        cash += (notional if f.side == "SELL" else -notional) - f.fee
        fees += f.fee
        rebates += f.rebate
        if f.liquidity == "maker" and f.yes_mid is not None:
            mid = f.yes_mid if f.outcome == "YES" else ONE - f.yes_mid
            spread += (mid - f.price if f.side == "BUY" else f.price - mid) * f.size
    total = cash + rebates
    return PnlSplit(spread, rebates, fees, total - spread - rebates + fees, total)


def build(
    *,
    orders: Sequence[OrderLog],
    fills: Sequence[PaperFill],
    spreads: Sequence[SpreadSample],
    books: Sequence[tuple[str, Book]],
    settlements: Sequence[Settlement],
    start_ns: dict[str, int],
) -> Report:
    maker = [f for f in fills if f.liquidity == "maker"]
    levels: dict[int, int] = defaultdict(int)
    for f in fills:
        levels[f.level] += 1
    return Report(
        by_price=fill_rates(orders, price_bucket),
        by_level=fill_rates(orders, level_key),
        fill_seconds=fill_seconds(orders),
        rebates=sum((f.rebate for f in maker), ZERO),
        maker_volume=sum((f.price * f.size for f in maker), ZERO),
        spread_by_minute=spread_by_minute(spreads),
        competitor_by_minute=competitor_by_minute(books, start_ns),
        pnl=pnl_split(fills, settlements),
        fills=len(fills),
        orders=len(orders),
        levels_filled=dict(sorted(levels.items())),
    )


def _pct(xs: Sequence[float], q: float) -> float:
    return xs[min(len(xs) - 1, int(len(xs) * q))] if xs else 0.0


def render(rep: Report) -> str:
    lines = [f"orders {rep.orders}  fills {rep.fills}  fills by level {rep.levels_filled}"]
    lines.append("fill rate by ladder level: " + ", ".join(
        f"{r.key} {r.filled}/{r.placed} ({r.rate:.1%})" for r in rep.by_level))
    lines.append("fill rate by price: " + ", ".join(
        f"{r.key} {r.rate:.1%}" for r in rep.by_price))
    fs = rep.fill_seconds
    lines.append(f"time to fill: n={len(fs)} p50={_pct(fs, 0.5):.1f}s p90={_pct(fs, 0.9):.1f}s")
    lines.append(
        f"rebates ${rep.rebates:.4f} on ${rep.maker_volume:.2f} maker volume = "
        f"${rep.rebate_per_dollar:.5f} per $"
    )
    lines.append("spread by minute: " + " ".join(f"{m}:{s:.3f}" for m, s in rep.spread_by_minute))
    lines.append("competitor size changed per 10 s by minute: " + " ".join(
        f"{m}:{c:.0f}" for m, c in rep.competitor_by_minute))
    p = rep.pnl
    lines.append(
        f"PnL ${p.total:.4f} = spread ${p.spread:.4f} + rebates ${p.rebates:.4f} "
        f"- fees ${p.fees:.4f} + inventory ${p.inventory:.4f}"
    )
    return "\n".join(lines)


def charts(rep: Report, out_dir: Path) -> list[Path]:
    """One PNG per figure; returns the paths written."""
    import matplotlib  # noqa: PLC0415 (only the chart step needs it)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []

    def bar(name: str, title: str, xs: list[str], ys: list[float], ylabel: str) -> None:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.bar(xs, ys)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        fig.tight_layout()
        path = out_dir / f"{name}.png"
        fig.savefig(path, dpi=80)
        plt.close(fig)
        paths.append(path)

    bar("fill_rate_by_price", "Fill rate by price", [r.key for r in rep.by_price],
        [float(r.rate) for r in rep.by_price], "filled / placed")
    bar("fill_rate_by_level", "Fill rate by ladder level", [r.key for r in rep.by_level],
        [float(r.rate) for r in rep.by_level], "filled / placed")
    edges = [1, 5, 15, 60, 300, 900]
    counts = [sum(1 for s in rep.fill_seconds if lo <= s < hi)
              for lo, hi in zip([0, *edges], [*edges, 1e12], strict=True)]
    bar("time_to_fill", "Time to first fill", ["<1s", "1-5s", "5-15s", "15-60s", "1-5m",
        "5-15m", ">15m"], [float(c) for c in counts], "orders")
    p = rep.pnl
    bar("pnl_split", "Net PnL split ($)", ["spread", "rebates", "fees", "inventory", "total"],
        [float(p.spread), float(p.rebates), -float(p.fees), float(p.inventory), float(p.total)],
        "$")
    bar("rebate_economics", f"Rebates: ${rep.rebate_per_dollar:.5f} per $ maker volume",
        ["rebates $", "maker volume $ / 100"],
        [float(rep.rebates), float(rep.maker_volume) / 100], "$")
    bar("spread_dynamics", "Mean spread by minute of the market", [
        str(m) for m, _ in rep.spread_by_minute], [float(s) for _, s in rep.spread_by_minute],
        "spread")
    bar("competitor_activity", "Book size changed (not ours) per snapshot, by minute", [
        str(m) for m, _ in rep.competitor_by_minute],
        [float(c) for _, c in rep.competitor_by_minute], "shares")
    return paths
