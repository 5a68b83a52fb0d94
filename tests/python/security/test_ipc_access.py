"""Who may talk to the trader: its IPC socket is mode 0600 (owner only), its state
directory 0700, and a client of another uid that gets past the file mode anyway is
refused by the trader's SO_PEERCRED check. A client of the trader's own uid is the
positive control: each refusal below is shown to be a refusal, not a dead socket."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import pytest
from sec_harness import (
    NOBODY,
    SockDir,
    connect_as,
    connect_with_dac_override,
    run_trader,
    wait_for,
)
from trader_harness import Trader, base_config, start_trader

needs_root = pytest.mark.skipif(os.geteuid() != 0,
                                reason="switching to another uid needs root")


def _trader(tmp_path: Path, sock_dir: SockDir) -> Trader:
    cfg = base_config(tmp_path)
    cfg["ipc"]["socket"] = str(sock_dir.path / "trader.sock")
    return start_trader(tmp_path, cfg)


def test_socket_is_owner_only(tmp_path: Path, sock_dir: SockDir) -> None:
    t = _trader(tmp_path, sock_dir)
    try:
        st = os.lstat(t.sock)
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
        assert st.st_uid == os.geteuid()
        sd = os.stat(t.state_dir)
        assert stat.S_IMODE(sd.st_mode) & 0o077 == 0, f"state dir mode {oct(sd.st_mode)}"
        # the control: the owner is served
        c = t.client("owner")
        assert c.call({"t": "query", "what": "status"})["t"] == "query_ok"
        c.close()
    finally:
        t.stop()


def test_stale_world_writable_socket_is_replaced_owner_only(tmp_path: Path,
                                                            sock_dir: SockDir) -> None:
    """A socket left by a dead trader, chmod 0666, does not stay open to others: the new
    trader replaces it with its own 0600 socket."""
    path = sock_dir.path / "trader.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))
    stale.close()  # no listener any more, the file stays
    path.chmod(0o666)
    cfg = base_config(tmp_path)
    cfg["ipc"]["socket"] = str(path)
    t = start_trader(tmp_path, cfg)
    try:
        st = os.lstat(t.sock)
        assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    finally:
        t.stop()


def test_other_file_at_the_socket_path_is_refused(tmp_path: Path, sock_dir: SockDir) -> None:
    """A regular file at the socket path is neither removed nor listened over: the trader
    refuses to start and says why."""
    path = sock_dir.path / "trader.sock"
    path.write_text("not a socket")
    path.chmod(0o666)
    cfg = base_config(tmp_path)
    cfg["ipc"]["socket"] = str(path)
    cfg_file = tmp_path / "trader.json"
    cfg_file.write_text(json.dumps(cfg))
    out = run_trader("--mode", "paper", "--exchange", "paper", "--config", str(cfg_file))
    assert out.returncode != 0
    assert "exists and is not a socket" in out.stderr
    assert path.read_text() == "not a socket"


@needs_root
def test_other_uid_cannot_open_the_socket(tmp_path: Path, sock_dir: SockDir) -> None:
    t = _trader(tmp_path, sock_dir)
    try:
        outcome, detail = connect_as(NOBODY, t.sock)
        assert (outcome, detail) == ("refused", "EACCES")
        # control: the same code path as our own uid connects and is answered
        assert connect_as(os.geteuid(), t.sock) == ("connected", "frame")
    finally:
        t.stop()


@needs_root
def test_other_uid_past_the_file_mode_is_refused_by_peer_uid(
        tmp_path: Path, sock_dir: SockDir) -> None:
    """uid nobody with CAP_DAC_OVERRIDE connects despite mode 0600; the trader reads the
    peer's uid (SO_PEERCRED), refuses it and says so in its log."""
    t = _trader(tmp_path, sock_dir)
    try:
        outcome, detail = connect_with_dac_override(NOBODY, t.sock)
        assert outcome == "connected", (outcome, detail)
        assert detail in ("closed", "reset"), detail
        wait_for(lambda: f"refused a connection from uid {NOBODY}" in t.log.read_text())
        assert "hello_ok" not in detail
        # the trader is still serving its owner afterwards
        c = t.client("owner")
        assert c.call({"t": "query", "what": "status"})["t"] == "query_ok"
        c.close()
    finally:
        t.stop()
