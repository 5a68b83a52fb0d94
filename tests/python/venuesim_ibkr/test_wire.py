"""Field spelling, version ranges and command-line configuration."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from venuesim.ibkr.decode import parse_version_range
from venuesim.ibkr.wire import FieldReader, ProtocolError, java_double, plain, split_fields


@pytest.mark.parametrize("text", ["", "1.7976931348623157E308", "1.7976931348623157e+308"])
def test_three_unset_double_spellings_read_as_unset(text: str) -> None:
    assert FieldReader([text]).double() is None


def test_numbers_read_exactly_and_bad_ones_are_errors() -> None:
    r = FieldReader(["150.25", "2147483647", "", "x", "1"])
    assert r.double() == Decimal("150.25")
    assert r.opt_integer() is None
    assert r.opt_integer() is None
    with pytest.raises(ProtocolError):
        r.integer()
    with pytest.raises(ProtocolError):
        FieldReader(["nan"]).double()
    with pytest.raises(ProtocolError):
        FieldReader([]).text()


@pytest.mark.parametrize(("value", "java", "compact"), [
    ("0", "0.0", "0"), ("1000", "1000.0", "1000"), ("1.08735", "1.08735", "1.08735"),
    ("0.00005", "5.0E-5", "0.00005"), ("12345678", "1.2345678E7", "12345678"),
])
def test_java_and_compact_spellings(value: str, java: str, compact: str) -> None:
    assert java_double(Decimal(value)) == java
    assert plain(Decimal(value)) == compact
    assert java_double(None) == "1.7976931348623157E308"


def test_payload_must_end_with_nul() -> None:
    assert split_fields(b"49\x001\x00") == ["49", "1"]
    with pytest.raises(ProtocolError):
        split_fields(b"49\x001")


def test_version_range() -> None:
    assert parse_version_range("v100..176") == (100, 176)
    assert parse_version_range("v157..178 +PACEAPI") == (157, 178)
    assert parse_version_range("v176") == (176, 176)
    for bad in ("100..176", "vx..1", "v200..100"):
        with pytest.raises(ProtocolError):
            parse_version_range(bad)


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "venuesim", "ibkr", *args],
                          capture_output=True, text=True, timeout=30, check=False)


def test_cli_rejects_bad_configuration(tmp_path: Path) -> None:
    bad = tmp_path / "accounts.json"
    bad.write_text(json.dumps({"accounts": [{"id": "DU1", "cash": {"USD": "lots"}}]}))
    result = _run_cli("--accounts", str(bad))
    assert result.returncode == 2 and "not an amount" in result.stderr
    result = _run_cli("--faults", "explode=1")
    assert result.returncode == 2 and "unknown fault" in result.stderr


async def test_accounts_file_sets_managed_accounts(tmp_path: Path, fresh_sim: object,
                                                   raw_client: object) -> None:
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps({"accounts": [
        {"id": "DU111111", "cash": {"USD": "500"}}, {"id": "DU222222", "cash": {"EUR": "10"}}]}))
    sim = fresh_sim("--accounts", str(path))  # type: ignore[operator]
    c = await raw_client(sim)  # type: ignore[operator]
    msgs = await c.connect(1)
    assert msgs[1] == ["15", "1", "DU111111,DU222222"]
    c.send(62, 1, 9, "All", "TotalCashValue")
    rows = await c.recv_until(lambda m: m[0] == "64")
    cash = {m[3]: Decimal(m[5]) for m in rows if m[0] == "63" and m[4] == "TotalCashValue"}
    assert cash["DU111111"] == Decimal("500.00")
    assert Decimal(0) < cash["DU222222"] < Decimal(20)     # 10 EUR in USD at the sim's rate
    await c.close()
