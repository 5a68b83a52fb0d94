"""Write the fuzz seed corpora fuzz/corpus/<target>/ from the project's own
test material, so every target starts from real, valid inputs:

- ipc:     every frame of proto/vectors/*.json (valid and invalid) and one
           stream of valid frames back to back (up to 2 KiB);
- config:  config/*.json plus configs built from them with every optional
           section filled in (full risk section from docs/RISK.md, binary
           instruments, an IBKR venue section);
- binance: ../shared/fixtures/binance/**/*.json as captured, plus a depth
           snapshot followed by diffs (the order-book path);
- tws:     ../shared/fixtures/ibkr/responses/*.txt with their literal "\\x00"
           separators turned into NULs and a 4-byte length prefix added, and
           one stream of all of them.

Seeds only, small; campaigns grow their own corpora under build/fuzz.
Usage: python3 fuzz/seed_corpus.py [--shared DIR]"""

from __future__ import annotations

import argparse
import json
import os
import struct
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "fuzz" / "corpus"


def write(target: str, name: str, data: bytes) -> None:
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def clear(target: str) -> None:
    d = OUT / target
    if d.is_dir():
        for f in d.iterdir():
            f.unlink()


def seed_ipc() -> int:
    clear("ipc")
    stream = b""
    n = 0
    for f in sorted((REPO / "proto" / "vectors").glob("*.json")):
        for v in json.loads(f.read_text()):
            frame = bytes.fromhex(v["hex"])
            write("ipc", f"{f.stem}__{v['name']}", frame)
            n += 1
            # a short stream is enough to seed multi-frame reads; a long one
            # would raise libFuzzer's -max_len and slow every run
            if "error" not in v and len(stream) + len(frame) <= 2048:
                stream += frame
    write("ipc", "stream_valid_frames", stream)
    return n + 1


def seed_config() -> int:
    clear("config")
    n = 0
    configs: dict[str, Any] = {}
    for f in sorted((REPO / "config").glob("*.json")):
        write("config", f.name, f.read_bytes())
        configs[f.stem] = json.loads(f.read_text())
        n += 1
    full: dict[str, Any] = json.loads(json.dumps(configs["paper"]))
    full["risk"] = {
        "profile": "micro",
        "global": {
            "max_order_notional_usd": "10", "max_position_usd": "10", "max_positions": 2,
            "max_exposure_usd": "40", "max_daily_loss_usd": "20",
            "starting_capital_usd": "100", "max_drawdown_pct": "25",
            "position_stop_usd": "3", "daily_reset_utc": "00:00",
            "loss_breaker": {"losses": 3, "cooldown_s": 1800, "state": "reducing"},
        },
        "venues": {
            "polymarket": {
                "max_order_notional_usd": "10", "max_position_usd": "10", "max_positions": 2,
                "max_exposure_usd": "20", "max_daily_loss_usd": "15",
                "orders_per_window": 3000, "order_window_ms": 600000,
                "max_cancel_fill_ratio": "50", "cancel_fill_window_ms": 600000,
                "cancel_fill_min_sample": 200,
                "price_collar_bps": 1000, "price_collar_min_ticks": 5,
                "stale_mark_ms": 30000, "require_mark": True,
            }
        },
        "markets": [
            {"venue": "polymarket", "market": "0x2eea", "max_position_usd": "5",
             "max_order_notional_usd": "5"}
        ],
    }
    full["instruments"] += [
        {"venue": "polymarket", "kind": "binary", "symbol": "1130133824", "market": "0x2eea",
         "price_scale": 4, "qty_scale": 2, "tick": "0.01", "lot": "0.01", "min_qty": "5",
         "min_notional": "0", "quote_ccy": "USDC", "usd_rate": "1"},
        {"venue": "polymarket", "kind": "binary", "symbol": "9871234", "market": "0x2eea",
         "price_scale": 4, "qty_scale": 2, "tick": "0.01", "lot": "0.01"},
        {"venue": "ibkr", "kind": "stock", "symbol": "AAPL", "price_scale": 2, "qty_scale": 0,
         "tick": "0.01", "lot": "1", "quote_ccy": "USD", "usd_rate": "1"},
        {"venue": "ibkr", "kind": "fx", "symbol": "EUR.USD", "price_scale": 5, "qty_scale": 0,
         "tick": "0.00005", "lot": "1", "quote_ccy": "USD", "usd_rate": "1"},
    ]
    full["journal"] = {"fsync": "none", "fsync_interval_ms": 5}
    full["redis"] = {"url": "redis://127.0.0.1:6379/0", "kill_channel": "trader:kill"}
    full["venues"]["ibkr"] = {
        "host": "127.0.0.1", "port": 7497, "client_id": 17, "account": "",
        "max_msgs_per_s": 45, "reconnect_min_ms": 250, "reconnect_max_ms": 30000,
        "stage_timeout_ms": 10000, "commission_wait_ms": 3000, "post_only": "reject_marketable",
        "contracts": [{"symbol": "AAPL", "exchange": "SMART", "primary_exchange": "NASDAQ",
                       "con_id": 265598}],
    }
    write("config", "full_sections.json", json.dumps(full, indent=1).encode())
    minimal = {"instruments": [], "venues": {}}
    write("config", "minimal.json", json.dumps(minimal).encode())
    return n + 2


def seed_binance(shared: Path) -> int:
    clear("binance")
    n = 0
    base = shared / "fixtures" / "binance"
    for f in sorted(base.rglob("*.json")):
        rel = f.relative_to(base).as_posix().replace("/", "__")
        write("binance", rel, f.read_bytes())
        n += 1
    snapshot = {"lastUpdateId": 100, "bids": [["64000.10", "0.5"], ["63999.00", "1"]],
                "asks": [["64000.20", "0.25"], ["64001.00", "2"]]}
    diffs = [
        {"e": "depthUpdate", "E": 1, "s": "BTCUSDT", "U": 95, "u": 101,
         "b": [["64000.10", "0"], ["64000.05", "0.1"]], "a": [["64000.20", "0.3"]]},
        {"stream": "btcusdt@depth@100ms",
         "data": {"e": "depthUpdate", "E": 2, "s": "BTCUSDT", "U": 102, "u": 103,
                  "b": [], "a": [["64000.15", "1"]]}},
        {"e": "depthUpdate", "E": 3, "s": "BTCUSDT", "U": 105, "u": 106, "b": [], "a": []},
    ]
    seq = [*diffs[:1], snapshot, *diffs[1:]]
    # a new best bid above the book's top: the input that found bn_book_set
    # misplacing such a level (docs/RELIABILITY.md, finding F1)
    write("binance", "book_sequence", "\n".join(json.dumps(d) for d in seq).encode())
    return n + 1


def tws_frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


def seed_tws(shared: Path) -> int:
    clear("tws")
    n = 0
    stream = b""
    for f in sorted((shared / "fixtures" / "ibkr" / "responses").glob("*.txt")):
        payload = f.read_bytes().strip(b"\r\n").replace(b"\\x00", b"\0")
        frame = tws_frame(payload)
        write("tws", f.stem, frame)
        stream += frame
        n += 1
    write("tws", "stream_all", stream)
    return n + 1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path,
                    default=Path(os.environ.get("SHARED_DIR", REPO.parent / "shared")))
    args = ap.parse_args()
    counts = {
        "ipc": seed_ipc(),
        "config": seed_config(),
        "binance": seed_binance(args.shared),
        "tws": seed_tws(args.shared),
    }
    for target, n in counts.items():
        print(f"{target}: {n} seeds in {OUT / target}")


if __name__ == "__main__":
    main()
