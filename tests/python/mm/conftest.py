"""Fixtures for the market-maker tests (helpers live in mm_helpers.py beside this file)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    env = os.environ.get("SHARED_DIR")
    path = Path(env) if env else Path(__file__).resolve().parents[3].parent / "shared"
    if not (path / "fixtures" / "polymarket").is_dir():
        pytest.fail(f"shared fixtures not found under {path} (set SHARED_DIR)")
    return path
