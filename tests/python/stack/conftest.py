"""Tests of python/stack (the full-stack runner behind `make demo`) and scripts/demo.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
