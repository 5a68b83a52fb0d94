"""Fixtures for the gateway tests (helpers in gw_harness.py).

One simulator serves the whole module (it takes seconds to start); after each test every
order of both wallets is cancelled and the faults are cleared, so tests do not see each
other's books. A fresh `trader` per test (it starts in milliseconds)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gw_harness import KEY0, KEY1, Sim, Trader
from venue_helpers import client


@pytest.fixture(scope="module")
def module_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    s = Sim(tmp_path_factory.mktemp("sim"), "--seed", "7", "--no-flow", "--speed", "10",
            "--heartbeat-timeout", "2")
    yield s
    s.stop()


@pytest.fixture
def sim(module_sim: Sim) -> Iterator[Sim]:
    yield module_sim
    module_sim.faults(ws_user="ok", ws_market="ok", rate_limit_scale=1.0, mode="normal")
    for key in (KEY0, KEY1):
        client(module_sim, key).cancel_all()


@pytest.fixture
def trader(tmp_path: Path) -> Iterator[Trader]:
    t = Trader(tmp_path)
    yield t
    t.stop()
