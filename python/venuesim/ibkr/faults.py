"""Fault settings: from `--faults SPEC` at start and `POST /_sim/faults` while running.

SPEC is comma-separated `name=value` items (seconds):
  delay_fills=S          fills come due S seconds after an order would have filled
  disconnect_every=S     every S seconds drop every client connection
  connectivity_every=S   every S seconds send 1100, then 1102 after connectivity_down
  connectivity_down=S    length of each connectivity loss (default 1)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


class FaultSpecError(ValueError):
    pass


@dataclass
class Faults:
    delay_fills: float = 0.0
    disconnect_every: float = 0.0
    connectivity_every: float = 0.0
    connectivity_down: float = 1.0

    def as_json(self) -> dict[str, float]:
        return asdict(self)


def seconds(name: str, raw: object) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise FaultSpecError(f"{name}: expected seconds, got {raw!r}")
    try:
        value = float(raw)
    except ValueError as exc:
        raise FaultSpecError(f"{name}: expected seconds, got {raw!r}") from exc
    if not 0 <= value < 86400:
        raise FaultSpecError(f"{name}: {value} is out of range [0, 86400)")
    return value


def parse_spec(spec: str) -> Faults:
    faults = Faults()
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, raw = item.partition("=")
        if not sep:
            raise FaultSpecError(f"fault {item!r} needs a value: name=seconds")
        apply(faults, {name.strip(): raw.strip()})
    return faults


def apply(faults: Faults, changes: dict[str, object]) -> None:
    """Validate every change first, then apply them all (a bad request changes nothing)."""
    known = set(Faults.__dataclass_fields__)
    parsed = {}
    for name, raw in changes.items():
        if name not in known:
            raise FaultSpecError(f"unknown fault {name!r}; known: {', '.join(sorted(known))}")
        parsed[name] = seconds(name, raw)
    for name, value in parsed.items():
        setattr(faults, name, value)
