"""Every vector in proto/vectors through python/trader/protocol.py (the C tests run the same)."""

from __future__ import annotations

import importlib.util
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from trader import protocol as p

VECTOR_DIR = Path(__file__).resolve().parents[3] / "proto" / "vectors"


def _load() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted(VECTOR_DIR.glob("*.json")):
        out.extend(json.loads(path.read_text(encoding="utf-8")))
    return out


VECTORS = _load()
VALID = [v for v in VECTORS if "error" not in v]
INVALID = [v for v in VECTORS if "error" in v]


def _plain(v: Any) -> Any:
    """Typed values -> the JSON shapes of the vector files (decimals as strings)."""
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, tuple):
        return [_plain(e) for e in v]
    return v


def test_vector_set_is_substantial() -> None:
    assert len(VALID) >= 45
    assert len(INVALID) >= 70
    names = [v["name"] for v in VECTORS]
    assert len(names) == len(set(names)), "vector names must be unique"


@pytest.mark.parametrize("vec", VALID, ids=[v["name"] for v in VALID])
def test_valid_vector_round_trips(vec: dict[str, Any]) -> None:
    frame = bytes.fromhex(vec["hex"])
    reader = p.FrameReader()
    bodies = list(reader.feed(frame))
    assert len(bodies) == 1 and reader.buffered == 0
    msg = p.decode_body(bodies[0], vec["dir"])
    value = vec["value"]
    wire = {"t": value["t"]} | {
        k: _plain(getattr(msg, k)) for k in p.message_fields(type(msg))
        if getattr(msg, k) is not None
    }
    assert wire == value
    assert p.encode(msg) == frame  # deterministic: the same bytes again


@pytest.mark.parametrize("vec", INVALID, ids=[v["name"] for v in INVALID])
def test_invalid_vector_is_refused(vec: dict[str, Any]) -> None:
    frame = bytes.fromhex(vec["hex"])
    with pytest.raises(p.ProtocolError) as info:
        for body in p.FrameReader().feed(frame):
            p.decode_body(body, vec["dir"])
    assert info.value.code.name == vec["error"], str(info.value)
    if "field" in vec:
        assert info.value.field == vec["field"], str(info.value)


def test_vector_files_match_their_generator() -> None:
    spec = importlib.util.spec_from_file_location(
        "make_vectors", Path(__file__).with_name("make_vectors.py")
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for name, vectors in mod.build().items():
        on_disk = (VECTOR_DIR / name).read_text(encoding="utf-8")
        assert on_disk == mod.render(vectors), f"{name} is stale: run make_vectors.py"
