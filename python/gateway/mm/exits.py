"""Exit policy: soft exits by skewing while staying maker; forced (taker) exits only on a timed
out passive unwind, an old position, an adverse move, or trader's per-position loss stop."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from gateway.mm.inventory import Unpaired

ExitMode = Literal["none", "soft", "forced"]
NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class ExitDecision:
    mode: ExitMode
    reason: str = ""


def adverse_move(pos: Unpaired, fair_of_outcome: Decimal) -> Decimal:
    """Relative move against a long position: (avg - fair) / avg; negative when in profit."""
    if pos.avg_price <= 0:
        return Decimal(0)
    return (pos.avg_price - fair_of_outcome) / pos.avg_price


def decide_exit(
    pos: Unpaired | None,
    fair_of_outcome: Decimal,
    *,
    now_ns: int,
    opened_ns: int,
    soft_since_ns: int | None,
    want_soft: str,
    position_stop: bool,
    unwind_timeout_s: int,
    max_age_s: int,
    max_adverse: Decimal,
) -> ExitDecision:
    """``want_soft`` is a non-empty reason when something upstream (inventory cap, market end,
    regime, reduce-only) asks for a passive unwind; ``soft_since_ns`` is when the current soft
    exit began (None: not in one)."""
    if pos is None:
        return ExitDecision("none")
    if position_stop:
        return ExitDecision("forced", "position_stop")
    if opened_ns and now_ns - opened_ns >= max_age_s * NS:
        return ExitDecision("forced", "max_age")
    if adverse_move(pos, fair_of_outcome) >= max_adverse:
        return ExitDecision("forced", "adverse_move")
    if soft_since_ns is not None and now_ns - soft_since_ns >= unwind_timeout_s * NS:
        return ExitDecision("forced", "unwind_timeout")
    if want_soft:
        return ExitDecision("soft", want_soft)
    return ExitDecision("none")
