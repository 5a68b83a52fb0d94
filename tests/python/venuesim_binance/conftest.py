"""Fixtures for the Binance simulator tests (helpers live in bn_harness.py)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bn_harness import Sim, start_sim


@pytest.fixture(scope="module")
def quiet_sim() -> Iterator[Sim]:
    """No background flow: books hold their seeded ladder; fills only when a test trades."""
    sim = start_sim(["--seed", "5", "--no-flow"])
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def live_sim() -> Iterator[Sim]:
    """Background flow at 20x: pings every 1 s, pong deadline 3 s."""
    sim = start_sim(["--seed", "9", "--speed", "20"])
    yield sim
    sim.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
