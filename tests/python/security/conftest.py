"""Fixtures of the security checks (docs/RELIABILITY.md "Security checks"); helpers in
sec_harness.py beside this file. The trader is the real binary (TRADER_BIN)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sec_harness import SockDir, make_sock_dir


@pytest.fixture
def sock_dir() -> Iterator[SockDir]:
    """A directory for the trader's socket that other users may traverse (0711), so a
    refusal seen by another uid comes from the socket itself, not from the directory."""
    d = make_sock_dir()
    yield d
    d.remove()
