"""Fixed-point units: prices, shares and pUSD are integers in millionths (6 decimals)."""

from __future__ import annotations

from decimal import Decimal

ONE = 1_000_000


def to_micro(value: Decimal | str) -> int:
    return int((Decimal(value) * ONE).to_integral_value())


def fmt(micro: int) -> str:
    """Shortest decimal string: 510000 -> "0.51", 800000000 -> "800", 0 -> "0"."""
    d = (Decimal(micro) / ONE).normalize()
    text = format(d, "f")
    return text if text != "-0" else "0"


def fmt_fixed(micro: int, places: int) -> str:
    """Fixed decimals as the REST order/trade objects use: "200.0000"."""
    return format((Decimal(micro) / ONE).quantize(Decimal(1).scaleb(-places)), "f")


def taker_fee(shares: int, price: int, rate: Decimal, exponent: int) -> int:
    """fee = shares x rate x (p(1-p))^exponent in pUSD, floored to 1e-5 as on chain."""
    if rate == 0 or shares == 0:
        return 0
    p = Decimal(price) / ONE
    fee = Decimal(shares) / ONE * rate * (p * (1 - p)) ** exponent
    return int((fee * 100_000).to_integral_value(rounding="ROUND_FLOOR")) * 10
