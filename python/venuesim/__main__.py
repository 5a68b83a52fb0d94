"""`python -m venuesim <venue> ...`: start one venue simulator.

Each venue lives in its own subpackage and exposes `main(argv) -> int`.
The simulators never import product code (gateway, trader, recorder).
"""

from __future__ import annotations

import importlib
import sys

VENUES = ("binance", "ibkr", "polymarket")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in VENUES:
        print(f"usage: python -m venuesim {{{'|'.join(VENUES)}}} --host H --port N [...]",
              file=sys.stderr)
        return 2
    module = importlib.import_module(f"venuesim.{argv[0]}.cli")
    rc: int = module.main(argv[1:])
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
