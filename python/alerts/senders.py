"""Where alerts go: Pushover's message API and a generic JSON webhook.

Pushover (https://pushover.net/api): POST https://api.pushover.net/1/messages.json, form
encoded, with `token` (the application's API token), `user` (the user or group key) and
`message` (at most 1024 characters), and optionally `title` (250), `url` (512), `url_title`
(100), `priority` (-2..2; 2 would need `retry` and `expire` and is not used here) and
`timestamp` (Unix seconds). A 4xx answer means the request itself is wrong and is not retried;
5xx and transport errors are retried once.

The webhook gets the alert as one JSON object (Alert.as_json()).

Secrets (the Pushover token and user key) come from the environment and appear in no log line,
repr or exception text.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Protocol

import aiohttp

from alerts.model import Alert

log = logging.getLogger(__name__)

PUSHOVER_URL = "https://api.pushover.net/1/messages.json"
_MAX_MESSAGE, _MAX_TITLE, _MAX_URL, _MAX_URL_TITLE = 1024, 250, 512, 100


class SendError(Exception):
    """The receiver refused the alert or could not be reached (the text holds no secret)."""


class Sender(Protocol):
    @property
    def name(self) -> str: ...

    async def send(self, session: aiohttp.ClientSession, alert: Alert) -> None: ...


def _cut(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


@dataclass(frozen=True)
class PushoverSender:
    token: str = field(repr=False)
    user: str = field(repr=False)
    url: str = PUSHOVER_URL
    link: str = ""  # e.g. the dashboard, shown under the message
    name: str = "pushover"

    def form(self, alert: Alert) -> dict[str, str]:
        form = {
            "token": self.token,
            "user": self.user,
            "message": _cut(alert.message, _MAX_MESSAGE),
            "title": _cut(alert.title, _MAX_TITLE),
            "priority": str(alert.priority),
            "timestamp": str(alert.ts_ns // 1_000_000_000),
        }
        if self.link:
            form["url"] = _cut(self.link, _MAX_URL)
            form["url_title"] = _cut("dashboard", _MAX_URL_TITLE)
        return form

    async def send(self, session: aiohttp.ClientSession, alert: Alert) -> None:
        async with session.post(self.url, data=self.form(alert)) as resp:
            body = await resp.text()
            if resp.status != 200:
                # Pushover's error body names the bad field, never echoes the token.
                raise SendError(f"pushover answered {resp.status}: {_cut(body, 200)}")


@dataclass(frozen=True)
class WebhookSender:
    url: str
    name: str = "webhook"

    async def send(self, session: aiohttp.ClientSession, alert: Alert) -> None:
        async with session.post(self.url, json=alert.as_json()) as resp:
            await resp.read()
            if resp.status >= 300:
                raise SendError(f"webhook answered {resp.status}")


async def deliver(session: aiohttp.ClientSession, sender: Sender, alert: Alert,
                  *, retry_after_s: float = 1.0) -> bool:
    """One attempt plus one retry for transient failures. True when delivered."""
    for attempt in (1, 2):
        try:
            await sender.send(session, alert)
            return True
        except SendError as e:
            transient = " answered 5" in str(e) or " answered 429" in str(e)
            log.warning("alert %s via %s failed (attempt %d): %s", alert.kind, sender.name,
                        attempt, e)
            if not transient:
                return False
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            log.warning("alert %s via %s failed (attempt %d): %s", alert.kind, sender.name,
                        attempt, type(e).__name__)
        if attempt == 1:
            await asyncio.sleep(retry_after_s)
    return False
