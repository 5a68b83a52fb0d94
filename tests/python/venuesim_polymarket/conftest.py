"""Fixtures for the Polymarket simulator tests (helpers live in pm_harness.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pm_harness import SimProcess, default_wallets


@pytest.fixture(scope="module")
def sim() -> Iterator[SimProcess]:
    """A quiet simulator (no background flow) for deterministic order tests."""
    s = SimProcess(["--seed", "7", "--no-flow", "--page-size", "2"], default_wallets())
    yield s
    s.stop()


@pytest.fixture(scope="module")
def live_sim() -> Iterator[SimProcess]:
    """A simulator with background flow at 300x speed (a 15-minute window every 3 s)."""
    s = SimProcess(["--seed", "11", "--speed", "300"], default_wallets())
    yield s
    s.stop()
