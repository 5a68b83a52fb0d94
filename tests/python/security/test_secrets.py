"""A planted Binance key and HMAC secret never leave the trader: not in its stdout/stderr
log (at debug level), not in the files of its state dir (journal), not in what it answers
over IPC or `trader ctl`, not in the record (Postgres, through the recorder), and not in
error messages - including the errors about the credentials themselves (a key file
readable by others, a secret written into the config, a secret the venue rejects).

Each run is checked to have USED the secret (the simulator verifies every signature:
"reconciled" needs signed REST calls), so a clean scan is not the scan of a run that never
loaded it. The secrets are random per run, so no other text can contain them by chance."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sec_harness import (
    PY,
    REPO,
    TRADER_BIN,
    BinanceSim,
    binance_config,
    clean_env,
    run_trader,
    scan,
    scan_text,
    start_binance_sim,
    start_trader_on,
    wait_for,
)

from localsvc import PostgresHandle, start_postgres


def _planted(kind: str) -> str:
    return f"PLANTED{kind}{secrets.token_hex(20)}"


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresHandle]:
    handle = start_postgres()
    yield handle
    handle.stop()


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (d / name).exists():
            return str(d / name)
    raise FileNotFoundError(name)


def _psql(dsn: str, sql: str) -> str:
    out = subprocess.run([_pg_bin("psql"), dsn, "-tAX", "-c", sql], capture_output=True,
                         text=True, timeout=30, check=True)
    return out.stdout.strip()


def _recorded_orders(dsn: str) -> int:
    """Rows in the record's orders table; 0 while the recorder has not migrated yet."""
    try:
        return int(_psql(dsn, "SELECT count(*) FROM orders") or 0)
    except subprocess.CalledProcessError:
        return 0


def _ctl(sock: str, *args: str) -> str:
    out = subprocess.run([str(TRADER_BIN), "ctl", "--socket", sock, "--json", *args],
                         capture_output=True, text=True, timeout=15, check=False)
    return out.stdout + out.stderr


@pytest.mark.parametrize("source", ["file", "env"])
def test_planted_secret_never_leaves(tmp_path: Path, pg: PostgresHandle, source: str) -> None:
    api_key, secret = _planted("KEY"), _planted("SECRET")
    sim = start_binance_sim(tmp_path, api_key, secret)
    db = f"sec_{source}_{secrets.token_hex(4)}"
    _psql(pg.dsn, f'CREATE DATABASE "{db}"')
    dsn = pg.dsn_for(db)
    if source == "file":
        key_file = tmp_path / "hmac.key"
        key_file.write_text(secret + "\n")
        key_file.chmod(0o600)
        creds = {"api_key_env": "SEC_BN_KEY", "hmac_secret_file": str(key_file)}
        env = clean_env(SEC_BN_KEY=api_key)
    else:
        api_file = tmp_path / "api.key"
        api_file.write_text(api_key)
        api_file.chmod(0o600)
        creds = {"api_key_file": str(api_file), "hmac_secret_env": "SEC_BN_SECRET"}
        env = clean_env(SEC_BN_SECRET=secret)
    cfg = binance_config(tmp_path, sim, creds)
    t = start_trader_on(tmp_path, cfg, "binance", env)
    rec_log = tmp_path / "recorder.log"
    recorder = None
    try:
        with rec_log.open("ab") as fh:
            recorder = subprocess.Popen(
                [str(PY), "-m", "recorder", "--socket", t.sock, "--dsn", dsn,
                 "--log-level", "debug"], stdout=fh, stderr=subprocess.STDOUT, cwd=REPO)
        # the secret is in use: signed REST (reconcile) passed and orders went out
        wait_for(lambda: "binance reconciled" in t.log.read_text(), timeout=30)
        wait_for(lambda: "order_sent" in t.log.read_text(), timeout=30)
        # ... and they reached the record
        wait_for(lambda: _recorded_orders(dsn) > 0, timeout=30)
        answers = _ctl(t.sock, "status") + _ctl(t.sock, "orders") + _ctl(t.sock, "limits")
    finally:
        if recorder is not None:
            recorder.terminate()
            recorder.wait(timeout=15)
        t.stop()
        sim.stop()
    dump = subprocess.run([_pg_bin("pg_dump"), "--data-only", dsn], capture_output=True,
                          timeout=60, check=True).stdout
    assert b"COPY public.orders" in dump
    (tmp_path / "record.sql").write_bytes(dump)
    everywhere = [t.log, t.state_dir, rec_log, tmp_path / "record.sql"]
    assert t.state_dir.is_dir() and any(t.state_dir.iterdir())
    for planted in (secret, api_key):
        assert scan(everywhere, planted) == []
        assert scan_text(answers, planted) == []


def _refusal(tmp_path: Path, creds: dict[str, str], env: dict[str, str]) -> str:
    """Start trader on a config whose Binance credentials must be refused; it must exit
    with an error before touching the network. Returns what it printed."""
    cfg = binance_config(tmp_path, None, creds, strategy=False)
    path = tmp_path / "trader.json"
    path.write_text(json.dumps(cfg))
    out = run_trader("--mode", "paper", "--exchange", "binance", "--config", str(path),
                     env=env)
    assert out.returncode != 0, out.stdout + out.stderr
    return out.stdout + out.stderr


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o606])
def test_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    secret = _planted("SECRET")
    key_file = tmp_path / "hmac.key"
    key_file.write_text(secret)
    key_file.chmod(mode)
    text = _refusal(tmp_path, {"api_key_env": "SEC_BN_KEY", "hmac_secret_file": str(key_file)},
                    clean_env(SEC_BN_KEY=_planted("KEY")))
    assert str(key_file) in text
    assert f"mode {mode:04o}" in text and "chmod 600" in text
    assert "hmac_secret_file" in text
    assert scan_text(text, secret) == []


def test_owner_only_key_file_is_accepted(tmp_path: Path) -> None:
    """The control for the refusals above: 0600 and 0400 pass the credential check (the
    trader starts; its venue is unreachable here, which it reports as a connection state)."""
    for mode in (0o600, 0o400):
        sub = tmp_path / f"m{mode:o}"
        sub.mkdir()
        key_file = sub / "hmac.key"
        key_file.write_text(_planted("SECRET"))
        key_file.chmod(mode)
        cfg = binance_config(sub, None, {"api_key_env": "SEC_BN_KEY",
                                         "hmac_secret_file": str(key_file)}, strategy=False)
        t = start_trader_on(sub, cfg, "binance", clean_env(SEC_BN_KEY=_planted("KEY")))
        try:
            assert "key_type=hmac" in t.log.read_text()
        finally:
            assert t.stop() == 0


def test_api_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    api_key = _planted("KEY")
    api_file = tmp_path / "api.key"
    api_file.write_text(api_key)
    api_file.chmod(0o644)
    text = _refusal(tmp_path, {"api_key_file": str(api_file), "hmac_secret_env": "SEC_BN_S"},
                    clean_env(SEC_BN_S=_planted("SECRET")))
    assert str(api_file) in text and "mode 0644" in text
    assert scan_text(text, api_key) == []


def test_symlinked_key_file_is_refused(tmp_path: Path) -> None:
    secret = _planted("SECRET")
    real = tmp_path / "real.key"
    real.write_text(secret)
    real.chmod(0o600)
    link = tmp_path / "hmac.key"
    link.symlink_to(real)
    text = _refusal(tmp_path, {"api_key_env": "SEC_BN_KEY", "hmac_secret_file": str(link)},
                    clean_env(SEC_BN_KEY=_planted("KEY")))
    assert "hmac_secret_file" in text
    assert scan_text(text, secret) == []


def test_secret_written_into_the_config_is_refused_unechoed(tmp_path: Path) -> None:
    """Secrets come only from env or a 0600 file: a config holding one inline is refused
    (unknown key), and the refusal does not repeat it."""
    secret = _planted("SECRET")
    text = _refusal(tmp_path, {"api_key_env": "SEC_BN_KEY", "hmac_secret": secret},
                    clean_env(SEC_BN_KEY=_planted("KEY")))
    assert "hmac_secret" in text
    assert scan_text(text, secret) == []


def test_rejected_secret_is_not_echoed(tmp_path: Path) -> None:
    """The venue refuses our signature (-1022): the trader says so, halts the venue, and
    neither its log nor its journal holds the secret it signed with."""
    real, wrong = _planted("SECRET"), _planted("WRONG")
    api_key = _planted("KEY")
    sim: BinanceSim = start_binance_sim(tmp_path, api_key, real)
    key_file = tmp_path / "hmac.key"
    key_file.write_text(wrong)
    key_file.chmod(0o600)
    cfg = binance_config(tmp_path, sim, {"api_key_env": "SEC_BN_KEY",
                                         "hmac_secret_file": str(key_file)})
    t = start_trader_on(tmp_path, cfg, "binance", clean_env(SEC_BN_KEY=api_key))
    try:
        wait_for(lambda: "-1022" in t.log.read_text(), timeout=30)
        answers = _ctl(t.sock, "status")
    finally:
        t.stop()
        sim.stop()
    log = t.log.read_text()
    assert "binance reconciled" not in log
    assert scan([t.log, t.state_dir], wrong) == [] and scan_text(answers, wrong) == []
    assert scan([t.log, t.state_dir], real) == []


def test_the_scan_finds_a_planted_copy(tmp_path: Path) -> None:
    """The scan itself can fail: a secret in a nested file, hex-encoded or truncated to
    its first half is found."""
    secret = _planted("SECRET")
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "raw.log").write_bytes(b"x" + secret.encode() + b"y")
    (tmp_path / "a" / "hex.bin").write_bytes(secret.encode().hex().encode())
    (tmp_path / "half.txt").write_text(secret[: len(secret) // 2 + 1])
    (tmp_path / "clean.txt").write_text("nothing here")
    hits = scan([tmp_path], secret)
    assert {h.split(":")[0] for h in hits} == {
        str(tmp_path / "a" / "b" / "raw.log"), str(tmp_path / "a" / "hex.bin"),
        str(tmp_path / "half.txt")}
    assert scan_text(f"error: {secret[:30]}", secret) != []
