"""End-to-end tests of the IBKR connector: the real trader binary against the real TWS
simulator (helpers in ibkr_e2e.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
