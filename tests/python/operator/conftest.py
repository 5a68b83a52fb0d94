"""Fixtures for the operator tests (ctl tables, alerts, dashboard). Helper modules live beside
the tests; the real-trader harness is shared with tests/python/trader_e2e."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "trader_e2e"))
