"""Gateway configuration: one TOML file, a few environment overrides, secrets kept apart.

Secrets (the wallet key, the L2 API credentials) never live in the TOML file. They come
from the environment or from a file that only its owner can read (mode 0600 or stricter;
a wider mode is refused). They are wrapped in `Secret`, whose repr and str never show the
value, so a stray log line or traceback cannot print them.

Every error names the field, e.g. `quote.size: expected a decimal string, got 0.5 (float)`.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final, Literal

Mode = Literal["dry-run", "paper", "live"]
SignatureKind = Literal["EOA", "POLY_1271"]
SIGNATURE_TYPES: Final = {"EOA": 0, "POLY_1271": 3}

# Environment names. URLs may be overridden so a test can point one config at a
# simulator started on a free port; secrets may only come from here or 0600 files.
ENV_KEY: Final = "POLY_PRIVATE_KEY"
ENV_API_KEY: Final = "POLY_API_KEY"
ENV_API_SECRET: Final = "POLY_API_SECRET"
ENV_API_PASSPHRASE: Final = "POLY_API_PASSPHRASE"
ENV_OVERRIDES: Final = {
    "GATEWAY_CLOB_URL": ("venue", "clob_url"),
    "GATEWAY_WS_MARKET_URL": ("venue", "ws_market_url"),
    "GATEWAY_WS_USER_URL": ("venue", "ws_user_url"),
    "GATEWAY_GAMMA_URL": ("venue", "gamma_url"),
    "GATEWAY_TRADER_SOCKET": ("trader", "socket"),
    "GATEWAY_RECORD_DSN": ("records", "dsn"),
}


class ConfigError(ValueError):
    """A config or secret problem; the message starts with the field's path."""


class Secret:
    """A string that never prints itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class ApiCreds:
    api_key: str
    secret: Secret
    passphrase: Secret


@dataclass(frozen=True, slots=True)
class VenueConfig:
    clob_url: str
    ws_market_url: str
    ws_user_url: str
    gamma_url: str
    chain_id: int
    rpc_url: str = ""


@dataclass(frozen=True, slots=True)
class WalletConfig:
    signature_type: SignatureKind = "EOA"
    funder: str = ""              # the deposit wallet for POLY_1271; "" = the key's address
    key_file: str = ""            # 0600 file holding the hex key (else env POLY_PRIVATE_KEY)
    creds_file: str = ""          # 0600 JSON {"apiKey","secret","passphrase"}; else env/derived
    nonce: int = 0


@dataclass(frozen=True, slots=True)
class TraderConfig:
    socket: str
    hb_timeout_s: float = 3.0
    check_timeout_s: float = 2.0
    reconnect_s: float = 0.5


@dataclass(frozen=True, slots=True)
class DiscoveryConfig:
    rescan_s: float = 30.0
    crypto_15m: bool = True
    fee_free: bool = True
    max_markets: int = 2
    assets: tuple[str, ...] = ()   # e.g. ("BTC", "ETH"); empty = any
    condition_ids: tuple[str, ...] = ()  # explicit markets; empty = by the rules above


@dataclass(frozen=True, slots=True)
class QuoteConfig:
    enabled: bool = True
    size: Decimal = Decimal("5")
    half_spread_ticks: int = 2
    max_spread: Decimal = Decimal("0.08")
    tolerance_ticks: int = 1
    max_inventory: Decimal = Decimal("20")
    requote_ms: int = 100


@dataclass(frozen=True, slots=True)
class StrategyConfig:
    """`[strategy] kind = "builtin" | "mm"`; `[strategy.mm]` = MMConfig overrides (the market
    maker's keys, validated by MMConfig.with_overrides: an unknown key or a float is refused)."""

    kind: Literal["builtin", "mm"] = "builtin"
    mm: dict[str, Any] = field(default_factory=dict)
    bankroll: Decimal = Decimal("100")    # USDC the allocator / Kelly sizings size against


@dataclass(frozen=True, slots=True)
class ScreenerSection:
    """`[screener]`: follow per-market configs over Redis and/or run the slow screener."""

    redis_url: str = ""            # "" = no Redis: no follower, no publishing
    follow: bool = True            # apply the published per-market configs (needs redis_url)
    run: bool = False              # run the screener job in this gateway
    period_s: float = 3600.0       # clock seconds between two screener runs
    params: dict[str, Any] = field(default_factory=dict)   # gateway.mm.screener.ScreenerConfig


@dataclass(frozen=True, slots=True)
class RecordsConfig:
    dsn: str = ""
    jsonl: str = ""
    book_snapshot_s: float = 10.0


@dataclass(frozen=True, slots=True)
class ControlConfig:
    socket: str = "state/gateway/gateway.sock"
    kill_file: str = ""
    log_file: str = ""


@dataclass(frozen=True, slots=True)
class TimingConfig:
    order_heartbeat_s: float = 5.0
    ws_ping_s: float = 10.0
    ws_silent_s: float = 30.0      # no frame at all (PONG included) for this long = stall
    mark_interval_s: float = 2.0
    http_timeout_s: float = 10.0
    speed: float = 1.0             # simulator fast-forward (clock seconds per real second)


@dataclass(frozen=True, slots=True)
class Config:
    live: bool
    venue: VenueConfig
    wallet: WalletConfig
    trader: TraderConfig
    discovery: DiscoveryConfig = field(default_factory=DiscoveryConfig)
    quote: QuoteConfig = field(default_factory=QuoteConfig)
    records: RecordsConfig = field(default_factory=RecordsConfig)
    control: ControlConfig = field(default_factory=ControlConfig)
    timing: TimingConfig = field(default_factory=TimingConfig)
    strategy: StrategyConfig = field(default_factory=StrategyConfig)
    screener: ScreenerSection = field(default_factory=ScreenerSection)
    log_level: str = "info"
    path: str = ""


# ---- reading ----------------------------------------------------------------------------


class _Section:
    """Typed access to one TOML table; remembers which keys were read."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a table")
        self.data: dict[str, Any] = data
        self.path = path
        self.seen: set[str] = set()

    def _get(self, key: str) -> Any:
        self.seen.add(key)
        return self.data.get(key)

    def _name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def str_(self, key: str, default: str | None = None) -> str:
        v = self._get(key)
        if v is None:
            if default is None:
                raise ConfigError(f"{self._name(key)}: required")
            return default
        if not isinstance(v, str):
            raise ConfigError(f"{self._name(key)}: expected a string, got {type(v).__name__}")
        return v

    def bool_(self, key: str, default: bool) -> bool:
        v = self._get(key)
        if v is None:
            return default
        if not isinstance(v, bool):
            raise ConfigError(f"{self._name(key)}: expected true or false")
        return v

    def int_(self, key: str, default: int, lo: int = 0) -> int:
        v = self._get(key)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, int):
            raise ConfigError(f"{self._name(key)}: expected an integer")
        if v < lo:
            raise ConfigError(f"{self._name(key)}: must be >= {lo}")
        return v

    def float_(self, key: str, default: float) -> float:
        """Durations only (seconds); money never goes through here."""
        v = self._get(key)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ConfigError(f"{self._name(key)}: expected a number of seconds")
        if v <= 0:
            raise ConfigError(f"{self._name(key)}: must be > 0")
        return float(v)

    def dec(self, key: str, default: Decimal) -> Decimal:
        v = self._get(key)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, str | int):
            raise ConfigError(f"{self._name(key)}: expected a decimal string, got {v!r} "
                              f"({type(v).__name__})")
        try:
            d = Decimal(str(v))
        except InvalidOperation as exc:
            raise ConfigError(f"{self._name(key)}: not a decimal: {v!r}") from exc
        if not d.is_finite() or d <= 0:
            raise ConfigError(f"{self._name(key)}: must be a positive decimal")
        return d

    def strs(self, key: str) -> tuple[str, ...]:
        v = self._get(key)
        if v is None:
            return ()
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise ConfigError(f"{self._name(key)}: expected a list of strings")
        return tuple(v)

    def sub(self, key: str) -> _Section:
        v = self._get(key)
        return _Section({} if v is None else v, self._name(key))

    def done(self) -> None:
        extra = sorted(set(self.data) - self.seen)
        if extra:
            raise ConfigError(f"{self._name(extra[0])}: unknown key")


def _url(s: _Section, key: str, schemes: tuple[str, ...]) -> str:
    v = s.str_(key)
    if not v.startswith(schemes):
        raise ConfigError(f"{s._name(key)}: expected a URL starting with {' or '.join(schemes)}")
    return v.rstrip("/")


def _apply_env(raw: dict[str, Any], env: dict[str, str]) -> None:
    for name, (table, key) in ENV_OVERRIDES.items():
        if env.get(name):
            raw.setdefault(table, {})[key] = env[name]


def load(path: str | Path, env: dict[str, str] | None = None) -> Config:
    """Read and validate the config; raises ConfigError naming the offending field."""
    env = dict(os.environ) if env is None else env
    p = Path(path)
    try:
        with p.open("rb") as fh:
            raw = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"config: cannot read {p}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: {p}: {exc}") from exc
    _apply_env(raw, env)
    top = _Section(raw, "")
    live = top.bool_("live", False)
    log_level = top.str_("log_level", "info")
    if log_level not in ("debug", "info", "warning", "error"):
        raise ConfigError("log_level: expected debug, info, warning or error")

    v = top.sub("venue")
    venue = VenueConfig(
        clob_url=_url(v, "clob_url", ("http://", "https://")),
        ws_market_url=_url(v, "ws_market_url", ("ws://", "wss://")),
        ws_user_url=_url(v, "ws_user_url", ("ws://", "wss://")),
        gamma_url=_url(v, "gamma_url", ("http://", "https://")),
        chain_id=v.int_("chain_id", 137, lo=1),
        rpc_url=v.str_("rpc_url", ""),
    )
    if venue.chain_id not in (137, 80002):
        raise ConfigError("venue.chain_id: the signing client knows only 137 and 80002")
    v.done()

    w = top.sub("wallet")
    sig = w.str_("signature_type", "EOA")
    if sig not in SIGNATURE_TYPES:
        raise ConfigError("wallet.signature_type: expected EOA or POLY_1271")
    funder = w.str_("funder", "")
    if sig == "POLY_1271" and not funder:
        raise ConfigError("wallet.funder: required for POLY_1271 (the deposit wallet address)")
    if funder and not (funder.startswith("0x") and len(funder) == 42):
        raise ConfigError("wallet.funder: expected a 0x-prefixed 20-byte address")
    wallet = WalletConfig(signature_type=sig,  # type: ignore[arg-type]
                          funder=funder, key_file=w.str_("key_file", ""),
                          creds_file=w.str_("creds_file", ""), nonce=w.int_("nonce", 0))
    w.done()

    t = top.sub("trader")
    trader = TraderConfig(socket=t.str_("socket"), hb_timeout_s=t.float_("hb_timeout_s", 3.0),
                          check_timeout_s=t.float_("check_timeout_s", 2.0),
                          reconnect_s=t.float_("reconnect_s", 0.5))
    t.done()

    d = top.sub("discovery")
    discovery = DiscoveryConfig(
        rescan_s=d.float_("rescan_s", 30.0), crypto_15m=d.bool_("crypto_15m", True),
        fee_free=d.bool_("fee_free", True), max_markets=d.int_("max_markets", 2),
        assets=tuple(a.upper() for a in d.strs("assets")),
        condition_ids=d.strs("condition_ids"))
    d.done()

    q = top.sub("quote")
    quote = QuoteConfig(
        enabled=q.bool_("enabled", True), size=q.dec("size", Decimal("5")),
        half_spread_ticks=q.int_("half_spread_ticks", 2, lo=1),
        max_spread=q.dec("max_spread", Decimal("0.08")),
        tolerance_ticks=q.int_("tolerance_ticks", 1),
        max_inventory=q.dec("max_inventory", Decimal("20")),
        requote_ms=q.int_("requote_ms", 100))
    q.done()

    r = top.sub("records")
    records = RecordsConfig(dsn=r.str_("dsn", ""), jsonl=r.str_("jsonl", ""),
                            book_snapshot_s=r.float_("book_snapshot_s", 10.0))
    r.done()

    c = top.sub("control")
    control = ControlConfig(socket=c.str_("socket", "state/gateway/gateway.sock"),
                            kill_file=c.str_("kill_file", ""), log_file=c.str_("log_file", ""))
    c.done()

    tm = top.sub("timing")
    timing = TimingConfig(
        order_heartbeat_s=tm.float_("order_heartbeat_s", 5.0),
        ws_ping_s=tm.float_("ws_ping_s", 10.0), ws_silent_s=tm.float_("ws_silent_s", 30.0),
        mark_interval_s=tm.float_("mark_interval_s", 2.0),
        http_timeout_s=tm.float_("http_timeout_s", 10.0),
        speed=tm.float_("speed", 1.0))
    if timing.order_heartbeat_s >= 10:
        raise ConfigError("timing.order_heartbeat_s: must be < 10 (the venue cancels after 10 s)")
    if live and timing.speed != 1.0:
        raise ConfigError("timing.speed: must be 1 with live = true (only a simulator runs fast)")
    tm.done()
    strategy = _strategy(top.sub("strategy"))
    screener = _screener(top.sub("screener"))
    top.done()
    return Config(live=live, venue=venue, wallet=wallet, trader=trader, discovery=discovery,
                  quote=quote, records=records, control=control, timing=timing,
                  strategy=strategy, screener=screener, log_level=log_level, path=str(p))


def _strategy(s: _Section) -> StrategyConfig:
    kind = s.str_("kind", "builtin")
    if kind not in ("builtin", "mm"):
        raise ConfigError(f"strategy.kind: expected builtin or mm, got {kind!r}")
    raw = s.sub("mm").data
    bankroll = s.dec("bankroll", Decimal("100"))
    s.done()
    from gateway.mm.config import MMConfig  # noqa: PLC0415 - pure, cheap

    try:
        MMConfig().with_overrides(raw)
    except ValueError as exc:
        # "mm config: unknown key 'x'" / "mm config: gamma must be ..." -> name the field
        msg = str(exc).removeprefix("mm config: ")
        m = re.match(r"unknown key '([^']+)'", msg)
        if m:
            raise ConfigError(f"strategy.mm.{m.group(1)}: unknown key") from exc
        m = re.match(r"(\w+):? (.*)", msg)
        if m:
            raise ConfigError(f"strategy.mm.{m.group(1)}: {m.group(2)}") from exc
        raise ConfigError(f"strategy.mm: {msg}") from exc
    if raw and kind != "mm":
        raise ConfigError("strategy.mm: set only with strategy.kind = \"mm\"")
    return StrategyConfig(kind=kind, mm=dict(raw), bankroll=bankroll)  # type: ignore[arg-type]


def _screener(s: _Section) -> ScreenerSection:
    url = s.str_("redis_url", "")
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("screener.redis_url: expected a redis:// URL")
    out = ScreenerSection(redis_url=url, follow=s.bool_("follow", True), run=s.bool_("run", False),
                          period_s=s.float_("period_s", 3600.0), params=dict(s.sub("params").data))
    s.done()
    if out.run and not url:
        raise ConfigError("screener.run: needs screener.redis_url (it publishes there)")
    from gateway.screenjob import screener_params  # noqa: PLC0415

    screener_params(out.params)      # raises ConfigError naming screener.params.<key>
    return out


# ---- secrets ----------------------------------------------------------------------------


def read_secret_file(path: str, field_name: str) -> str:
    """Read a secret file, refusing it unless only its owner can read or write it."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ConfigError(f"{field_name}: cannot read {path}: {exc.strerror}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{field_name}: {path} is not a regular file")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise ConfigError(f"{field_name}: {path} has mode {mode:04o}; it must be 0600 "
                          f"(chmod 600 {path})")
    if st.st_uid != os.getuid():
        raise ConfigError(f"{field_name}: {path} is not owned by this user")
    with open(path, encoding="utf-8") as fh:
        return fh.read().strip()


def wallet_key(cfg: Config, env: dict[str, str] | None = None) -> Secret:
    env = dict(os.environ) if env is None else env
    if cfg.wallet.key_file:
        value = read_secret_file(cfg.wallet.key_file, "wallet.key_file")
    elif env.get(ENV_KEY):
        value = env[ENV_KEY].strip()
    else:
        raise ConfigError(f"wallet.key_file: no wallet key (set {ENV_KEY} or wallet.key_file)")
    hexpart = value.removeprefix("0x")
    if len(hexpart) != 64 or any(ch not in "0123456789abcdefABCDEF" for ch in hexpart):
        raise ConfigError("wallet key: expected 32 bytes of hex (value not shown)")
    return Secret("0x" + hexpart)


def api_creds(cfg: Config, env: dict[str, str] | None = None) -> ApiCreds | None:
    """Configured L2 credentials, or None (then they are created/derived with L1)."""
    env = dict(os.environ) if env is None else env
    if cfg.wallet.creds_file:
        text = read_secret_file(cfg.wallet.creds_file, "wallet.creds_file")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError("wallet.creds_file: not JSON (content not shown)") from exc
        if not isinstance(data, dict):
            raise ConfigError("wallet.creds_file: expected a JSON object")
        missing = [k for k in ("apiKey", "secret", "passphrase")
                   if not isinstance(data.get(k), str)]
        if missing:
            raise ConfigError(f"wallet.creds_file: missing {missing[0]}")
        return ApiCreds(data["apiKey"], Secret(data["secret"]), Secret(data["passphrase"]))
    names = (ENV_API_KEY, ENV_API_SECRET, ENV_API_PASSPHRASE)
    present = [n for n in names if env.get(n)]
    if not present:
        return None
    if len(present) != 3:
        absent = next(n for n in names if not env.get(n))
        raise ConfigError(f"{absent}: the API credentials need all three of {', '.join(names)}")
    return ApiCreds(env[ENV_API_KEY], Secret(env[ENV_API_SECRET]),
                    Secret(env[ENV_API_PASSPHRASE]))


def write_creds_file(path: str, creds: ApiCreds) -> None:
    """Store derived credentials owner-only (created 0600, never wider)."""
    data = json.dumps({"apiKey": creds.api_key, "secret": creds.secret.reveal(),
                       "passphrase": creds.passphrase.reveal()})
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data.encode())
    finally:
        os.close(fd)
