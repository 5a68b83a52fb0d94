"""An independent reader of trader's journal file (docs/JOURNAL.md), for test oracles:
what the journal holds, read without going through the trader or the recorder."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import msgpack

_HDR = struct.Struct("<4sIQHHII")


def read_journal(path: Path) -> list[tuple[int, int, dict[str, Any]]]:
    """(seq, type, record map) of every complete record; a torn tail is left out."""
    data = path.read_bytes()
    out: list[tuple[int, int, dict[str, Any]]] = []
    off = 0
    while off + _HDR.size <= len(data):
        magic, n, seq, rtype, _flags, _crc, _hcrc = _HDR.unpack_from(data, off)
        if magic != b"TJR1" or off + _HDR.size + n > len(data):
            break
        body = data[off + _HDR.size: off + _HDR.size + n]
        out.append((seq, rtype, msgpack.unpackb(body, raw=False)))
        off += _HDR.size + n
    return out


def journal_fills(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(venue, trade id) -> the first fill report with that trade id."""
    fills: dict[tuple[str, str], dict[str, Any]] = {}
    for _seq, rtype, rec in read_journal(path):
        if rtype == 3 and rec.get("kind") == 2:
            fills.setdefault((rec["venue"], rec["tid"]), rec)
    return fills
