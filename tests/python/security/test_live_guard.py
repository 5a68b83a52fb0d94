"""--mode live needs two independent confirmations: "live": true in the config AND
--confirm-live on the command line. With either one missing the trader refuses before it
opens a socket, a journal or a venue connection. The positive control uses --check-config
(which stops after the guard), so nothing here ever starts a live session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sec_harness import run_trader
from trader_harness import base_config


def _config(tmp_path: Path, live: bool) -> Path:
    cfg = base_config(tmp_path)
    cfg["live"] = live
    path = tmp_path / f"live_{str(live).lower()}.json"
    path.write_text(json.dumps(cfg))
    return path


@pytest.mark.parametrize(("live", "confirm"), [(False, True), (True, False), (False, False)])
def test_live_refused_without_both_confirmations(tmp_path: Path, live: bool,
                                                 confirm: bool) -> None:
    cfg = _config(tmp_path, live)
    args = ["--mode", "live", "--exchange", "paper", "--config", str(cfg)]
    if confirm:
        args.append("--confirm-live")
    for extra in ([], ["--check-config"]):
        out = run_trader(*args, *extra)
        assert out.returncode != 0, out.stdout + out.stderr
        assert "--mode live refused" in out.stderr
        assert f"config live={'true' if live else 'false'}" in out.stderr
        assert f"flag {'given' if confirm else 'missing'}" in out.stderr
        assert "config ok" not in out.stdout
    # nothing was created: no state dir, no journal, no socket
    assert not (tmp_path / "state").exists()
    assert not (tmp_path / "trader.sock").exists()


def test_live_guard_passes_with_both(tmp_path: Path) -> None:
    """The control: both confirmations get past the guard (to --check-config's report)."""
    cfg = _config(tmp_path, True)
    out = run_trader("--mode", "live", "--exchange", "paper", "--config", str(cfg),
                     "--confirm-live", "--check-config")
    assert out.returncode == 0, out.stderr
    assert "config ok" in out.stdout and "mode=live live=true" in out.stdout


def test_paper_mode_ignores_a_live_config(tmp_path: Path) -> None:
    """live=true in the config alone does not make a paper run live."""
    cfg = _config(tmp_path, True)
    out = run_trader("--mode", "paper", "--exchange", "paper", "--config", str(cfg),
                     "--check-config")
    assert out.returncode == 0, out.stderr
    assert "mode=paper" in out.stdout
