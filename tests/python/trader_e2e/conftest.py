"""Fixtures for end-to-end tests of ./bin/trader (helpers in trader_harness.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trader_harness import Trader, base_config, start_trader


@pytest.fixture
def trader(tmp_path: Path) -> Iterator[Trader]:
    t = start_trader(tmp_path, base_config(tmp_path))
    yield t
    t.stop()


@pytest.fixture
def quoting_trader(tmp_path: Path) -> Iterator[Trader]:
    t = start_trader(tmp_path, base_config(tmp_path, strategy=True))
    yield t
    t.stop()
