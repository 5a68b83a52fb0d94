"""End-to-end tests of the Binance connector: the real trader binary (and the connector driver
binance_bench) against the real Binance simulator. Helpers live in bn_e2e.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
