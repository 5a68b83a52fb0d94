"""The market catalogue: a rolling schedule of 15-minute crypto up-or-down markets,
fee-free long-horizon markets and one neg-risk event, all derived from the seed."""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from eth_utils.crypto import keccak

from .chain.addresses import ADMIN, USDC_E
from .chain.ids import condition_id, position_id
from .clock import iso8601

UPDOWN_PERIOD_S = 900
UPDOWN_ASSETS = {"BTC": ("Bitcoin", Decimal("97000")), "ETH": ("Ethereum", Decimal("3400")),
                 "SOL": ("Solana", Decimal("190")), "XRP": ("XRP", Decimal("2.3"))}
# Crypto 15-minute markets: taker fee curve from the captured Gamma feeSchedule.
CRYPTO_FEE_RATE = Decimal("0.07")
CRYPTO_REBATE_RATE = Decimal("0.2")
MARKETS_AHEAD = 2  # how many future 15-minute windows are listed per asset


class MarketState(Enum):
    UPCOMING = "upcoming"  # listed, not accepting orders yet
    OPEN = "open"
    CLOSED = "closed"  # past endDate, waiting for resolution
    RESOLVED = "resolved"


@dataclass
class Market:
    gamma_id: str
    condition_id: str
    question_id: str
    slug: str
    question: str
    description: str
    outcomes: tuple[str, str]
    token_ids: tuple[str, str]
    tick: Decimal
    min_size: int
    neg_risk: bool
    start_s: float  # listed / createdAt
    open_s: float  # accepting orders from
    end_s: float  # endDate: stop trading
    fees_enabled: bool
    fee_rate: Decimal
    fee_exponent: int
    rebate_rate: Decimal
    fair: float  # the background flow's fair probability of outcome 0
    asset: str = ""  # crypto asset for up-or-down markets
    event_id: str = ""
    neg_risk_market_id: str = ""
    group_item_title: str = ""
    ref_open: float = 0.0  # reference price at eventStartTime (up-or-down)
    state: MarketState = MarketState.UPCOMING
    winner: int | None = None
    tags: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "updown" if self.asset else ("negrisk" if self.neg_risk else "long")

    def token_index(self, token_id: str) -> int:
        return self.token_ids.index(token_id)

    def fee_type(self) -> str | None:
        return "crypto_fees" if self.fees_enabled else None


def _h(*parts: str) -> bytes:
    return keccak(text="|".join(parts))


@functools.lru_cache(maxsize=4096)  # roll() asks again for the same windows every tick
def _ids(seed: int, slug: str) -> tuple[str, str, tuple[str, str]]:
    """(condition id, question id, (token 0, token 1)) as the Conditional Tokens derive
    them: the simulator's admin is every condition's oracle, and positions are
    collateralised by USDC.e (index set 1 = outcome 0, 2 = outcome 1)."""
    qid = _h(str(seed), slug, "question")
    cond = condition_id(ADMIN, qid)
    return ("0x" + cond.hex(), "0x" + qid.hex(),
            (str(position_id(USDC_E, cond, 1)), str(position_id(USDC_E, cond, 2))))


class Catalogue:
    """All markets by id, condition id and token id; rolls the 15-minute schedule."""

    def __init__(self, seed: int, now_s: float) -> None:
        self.seed = seed
        self.rng = random.Random(seed ^ 0x5EED)
        self.markets: dict[str, Market] = {}  # by condition id
        self.by_token: dict[str, Market] = {}
        self.by_gamma_id: dict[str, Market] = {}
        self.events: dict[str, list[str]] = {}  # event id -> condition ids
        self.event_meta: dict[str, dict[str, str]] = {}
        self.ref_price: dict[str, float] = {a: float(p) for a, (_, p) in UPDOWN_ASSETS.items()}
        self._next_gamma_id = 500000
        self._add_static(now_s)
        self.roll(now_s)

    def _gamma_id(self) -> str:
        self._next_gamma_id += 1
        return str(self._next_gamma_id)

    def add(self, m: Market) -> None:
        self.markets[m.condition_id] = m
        self.by_gamma_id[m.gamma_id] = m
        for t in m.token_ids:
            self.by_token[t] = m
        if m.event_id:
            self.events.setdefault(m.event_id, []).append(m.condition_id)

    def _add_static(self, now_s: float) -> None:
        far = now_s + 200 * 86400
        longs = [("Will the Fed cut rates at its next meeting?", "fed-cut-next-meeting", 0.42,
                  Decimal("0.01")),
                 ("Will global average temperature set a record this year?",
                  "temperature-record-this-year", 0.63, Decimal("0.001"))]
        for question, slug, fair, tick in longs:
            cond, qid, toks = _ids(self.seed, slug)
            ev = self._gamma_id()
            self.event_meta[ev] = {"slug": slug, "title": question}
            self.add(Market(self._gamma_id(), cond, qid, slug, question,
                            f"This market resolves Yes if: {question}", ("Yes", "No"), toks,
                            tick, 5, False, now_s - 86400, now_s - 86400, far, False,
                            Decimal(0), 1, Decimal(0), fair, event_id=ev, tags=["Politics"]))
        ev = self._gamma_id()
        ev_slug = "sim-party-nominee-2028"
        nrm_id = "0x" + _h(str(self.seed), ev_slug, "negrisk").hex()
        self.event_meta[ev] = {"slug": ev_slug, "title": "Sim Party Nominee 2028",
                               "negRiskMarketID": nrm_id}
        for i, (name, fair) in enumerate([("Alice Example", 0.55), ("Bob Example", 0.30),
                                          ("Carol Example", 0.15)]):
            slug = f"will-{name.split()[0].lower()}-win-the-sim-party-nomination"
            cond, qid, toks = _ids(self.seed, slug)
            q = f"Will {name} win the 2028 Sim Party nomination?"
            self.add(Market(self._gamma_id(), cond, qid, slug, q, q, ("Yes", "No"), toks,
                            Decimal("0.001"), 5, True, now_s - 86400, now_s - 86400, far, False,
                            Decimal(0), 1, Decimal(0), fair, event_id=ev,
                            neg_risk_market_id=nrm_id, group_item_title=name,
                            tags=["Politics", f"{i}"][:1]))

    def _updown(self, asset: str, window_start: float) -> Market:
        name, _ = UPDOWN_ASSETS[asset]
        slug = f"{asset.lower()}-updown-15m-{int(window_start)}"
        cond, qid, toks = _ids(self.seed, slug)
        when = iso8601(window_start)
        ev = self._gamma_id()
        self.event_meta[ev] = {"slug": slug, "title": f"{name} Up or Down - {when}"}
        q = f"{name} Up or Down - {when} (15m)"
        return Market(self._gamma_id(), cond, qid, slug, q,
                      f"Resolves Up if the {asset}/USD reference price at the end of the "
                      "window is greater than or equal to the price at its start.",
                      ("Up", "Down"), toks, Decimal("0.01"), 5, False,
                      window_start - MARKETS_AHEAD * UPDOWN_PERIOD_S,
                      window_start - UPDOWN_PERIOD_S, window_start + UPDOWN_PERIOD_S, True,
                      CRYPTO_FEE_RATE, 1, CRYPTO_REBATE_RATE, 0.5, asset=asset, event_id=ev,
                      tags=["Crypto", "Up or Down", "15M"])

    def step_reference(self, dt_s: float) -> None:
        """Advance the seeded reference-price random walk (about 50%/yr volatility)."""
        if dt_s <= 0:
            return
        sigma = 0.5 / math.sqrt(365 * 86400)
        for a in self.ref_price:
            self.ref_price[a] *= math.exp(self.rng.gauss(0.0, sigma * math.sqrt(dt_s)))

    def roll(self, now_s: float) -> tuple[list[Market], list[Market], list[Market]]:
        """List upcoming windows, open, close and resolve by time; return the changes."""
        opened: list[Market] = []
        closed: list[Market] = []
        resolved: list[Market] = []
        current = math.floor(now_s / UPDOWN_PERIOD_S) * UPDOWN_PERIOD_S
        for k in range(MARKETS_AHEAD + 1):
            ws = current + k * UPDOWN_PERIOD_S
            for asset in UPDOWN_ASSETS:
                slug = f"{asset.lower()}-updown-15m-{int(ws)}"
                cond, _, _ = _ids(self.seed, slug)
                if cond not in self.markets:
                    self.add(self._updown(asset, ws))
        for m in self.markets.values():
            if m.state is MarketState.UPCOMING and now_s >= m.open_s:
                m.state = MarketState.OPEN
                opened.append(m)
            if m.state is MarketState.OPEN and m.asset and m.ref_open == 0.0 \
                    and now_s >= m.end_s - UPDOWN_PERIOD_S:
                m.ref_open = self.ref_price[m.asset]
            if m.state is MarketState.OPEN and now_s >= m.end_s:
                m.state = MarketState.CLOSED
                closed.append(m)
            if m.state is MarketState.CLOSED and now_s >= m.end_s:
                up = self.ref_price[m.asset] >= m.ref_open if m.asset else m.fair >= 0.5
                m.winner = 0 if up else 1
                m.state = MarketState.RESOLVED
                resolved.append(m)
        return opened, closed, resolved

    def update_fair(self, now_s: float) -> None:
        """Up-or-down fair value: P(end price >= start price) under the random walk."""
        sigma = 0.5 / math.sqrt(365 * 86400)
        for m in self.markets.values():
            if m.state is not MarketState.OPEN or not m.asset:
                continue
            if m.ref_open == 0.0:
                m.fair = 0.5
                continue
            remaining = max(m.end_s - now_s, 1.0)
            z = math.log(self.ref_price[m.asset] / m.ref_open) / (sigma * math.sqrt(remaining))
            m.fair = min(max(0.5 * (1 + math.erf(z / math.sqrt(2))), 0.02), 0.98)
