"""Other participants on the simulator, through the official client: one that makes books
and takes our quotes (account 1), and a read-only view of the gateway's own wallet."""

from __future__ import annotations

import json
from typing import Any

from gw_harness import KEY0, KEY1, Sim
from py_clob_client_v2 import ClobClient
from py_clob_client_v2.clob_types import OrderArgsV2, OrderType


def client(sim: Sim, key: str) -> ClobClient:
    c = ClobClient(host=sim.clob, chain_id=137, key=key)
    c.set_api_creds(c.create_or_derive_api_key())
    return c


class Other:
    def __init__(self, sim: Sim) -> None:
        self.c = client(sim, KEY1)

    def order(self, token: str, side: str, price: float, size: float,
              kind: Any = OrderType.GTC) -> dict[str, Any]:
        out: dict[str, Any] = self.c.post_order(
            self.c.create_order(OrderArgsV2(token_id=token, price=price, size=size, side=side)),
            kind)
        return out


class Ours:
    """The gateway's wallet seen from outside (same key, same derived API credentials)."""

    def __init__(self, sim: Sim, key: str = KEY0) -> None:
        self.c = client(sim, key)

    def open_orders(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self.c.get_open_orders()
        return out

    def creds(self) -> tuple[str, str, str]:
        k = self.c.creds
        return k.api_key, k.api_secret, k.api_passphrase


def tokens(market: dict[str, Any]) -> tuple[str, str]:
    yes, no = json.loads(market["clobTokenIds"])
    return str(yes), str(no)


def make_book(sim: Sim, market: dict[str, Any], bid: float = 0.47, size: float = 20) -> Other:
    """YES bid at `bid` and YES ask at 1-bid (a NO bid at `bid`), `size` each."""
    o = Other(sim)
    yes, no = tokens(market)
    o.order(yes, "BUY", bid, size)
    o.order(no, "BUY", bid, size)
    return o
