"""Alert configuration: an `alerts` section of a TOML or JSON file (or the file's top level).

    [alerts]
    dedup_window_s = 300          # same key again inside this window: counted, not sent
    rate_max = 20                 # at most this many alerts ...
    rate_window_s = 60            # ... per this many seconds (critical ones always pass)
    large_loss_usd = "2"          # a fill that loses at least this much (decimal string)
    stale_after_s = 120           # trader silent this long: stale-heartbeat alert
    daily_summary_utc = "21:00"   # HH:MM UTC, or "" for none
    dashboard_url = ""            # link shown under Pushover messages
    [alerts.pushover]
    token_env = "PUSHOVER_TOKEN"  # names of environment variables, never the secrets
    user_env = "PUSHOVER_USER"
    url = "https://api.pushover.net/1/messages.json"
    [alerts.webhook]
    url = "http://127.0.0.1:9000/hook"

Unknown keys and wrong types are errors naming the key. A configured Pushover section whose
environment variables are unset is an error naming the variable (not its value).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from alerts.senders import PUSHOVER_URL, PushoverSender, Sender, WebhookSender


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class AlertConfig:
    dedup_window_s: float = 300.0
    rate_max: int = 20
    rate_window_s: float = 60.0
    large_loss_usd: Decimal = Decimal("2")
    stale_after_s: float = 120.0
    daily_summary_utc: str = "21:00"
    dashboard_url: str = ""
    senders: tuple[Sender, ...] = field(default=(), repr=False)


_TOP = {"dedup_window_s", "rate_max", "rate_window_s", "large_loss_usd", "stale_after_s",
        "daily_summary_utc", "dashboard_url", "pushover", "webhook"}
_PUSHOVER = {"token_env", "user_env", "url"}
_WEBHOOK = {"url"}
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _check_keys(d: dict[str, Any], allowed: set[str], path: str) -> None:
    for k in d:
        if k not in allowed:
            raise ConfigError(f"{path}.{k}: unknown key")


def _num(d: dict[str, Any], key: str, default: float, path: str) -> float:
    v = d.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
        raise ConfigError(f"{path}.{key}: expected a positive number")
    return float(v)


def _str(d: dict[str, Any], key: str, default: str, path: str) -> str:
    v = d.get(key, default)
    if not isinstance(v, str):
        raise ConfigError(f"{path}.{key}: expected a string")
    return v


def _url(d: dict[str, Any], key: str, default: str, path: str) -> str:
    v = _str(d, key, default, path)
    if not v.startswith(("http://", "https://")):
        raise ConfigError(f"{path}.{key}: expected an http(s) URL")
    return v


def parse(raw: dict[str, Any], env: dict[str, str] | None = None) -> AlertConfig:
    env = dict(os.environ) if env is None else env
    section = raw.get("alerts", raw)
    path = "alerts"
    if not isinstance(section, dict):
        raise ConfigError("alerts: expected a table")
    _check_keys(section, _TOP, path)
    loss = section.get("large_loss_usd", "2")
    if not isinstance(loss, str | int) or isinstance(loss, bool):
        raise ConfigError(f"{path}.large_loss_usd: expected a decimal string")
    try:
        large_loss = Decimal(str(loss))
    except InvalidOperation as e:
        raise ConfigError(f"{path}.large_loss_usd: not a decimal") from e
    if not large_loss.is_finite() or large_loss <= 0:
        raise ConfigError(f"{path}.large_loss_usd: must be positive")
    summary = _str(section, "daily_summary_utc", "21:00", path)
    if summary and not _HHMM.match(summary):
        raise ConfigError(f"{path}.daily_summary_utc: expected HH:MM (UTC) or \"\"")
    rate_max = section.get("rate_max", 20)
    if isinstance(rate_max, bool) or not isinstance(rate_max, int) or rate_max < 1:
        raise ConfigError(f"{path}.rate_max: expected a positive integer")
    link = _str(section, "dashboard_url", "", path)

    senders: list[Sender] = []
    po = section.get("pushover")
    if po is not None:
        if not isinstance(po, dict):
            raise ConfigError(f"{path}.pushover: expected a table")
        _check_keys(po, _PUSHOVER, f"{path}.pushover")
        secrets = []
        for key in ("token_env", "user_env"):
            name = _str(po, key, "", f"{path}.pushover")
            if not name:
                raise ConfigError(f"{path}.pushover.{key}: required")
            value = env.get(name, "")
            if not value:
                raise ConfigError(f"{path}.pushover.{key}: environment variable {name} is unset")
            secrets.append(value)
        senders.append(PushoverSender(token=secrets[0], user=secrets[1],
                                      url=_url(po, "url", PUSHOVER_URL, f"{path}.pushover"),
                                      link=link))
    wh = section.get("webhook")
    if wh is not None:
        if not isinstance(wh, dict):
            raise ConfigError(f"{path}.webhook: expected a table")
        _check_keys(wh, _WEBHOOK, f"{path}.webhook")
        senders.append(WebhookSender(url=_url(wh, "url", "", f"{path}.webhook")))

    return AlertConfig(
        dedup_window_s=_num(section, "dedup_window_s", 300.0, path),
        rate_max=rate_max,
        rate_window_s=_num(section, "rate_window_s", 60.0, path),
        large_loss_usd=large_loss,
        stale_after_s=_num(section, "stale_after_s", 120.0, path),
        daily_summary_utc=summary,
        dashboard_url=link,
        senders=tuple(senders),
    )


def load(path: Path, env: dict[str, str] | None = None) -> AlertConfig:
    text = path.read_text()
    try:
        raw: Any = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: {e}") from e
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a table at the top")
    return parse(raw, env)
