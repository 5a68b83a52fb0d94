"""The operator's door into a running gateway: a Unix socket (mode 0600), one JSON line per
request (`{"cmd":"status"}`), one JSON line back. `python -m gateway status|stop|report`
are its clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("gateway.control")

Handler = Callable[[str], Awaitable[dict[str, Any]]]


class ControlServer:
    def __init__(self, path: str, handler: Handler) -> None:
        self.path = path
        self.handler = handler
        self._server: asyncio.AbstractServer | None = None

    async def serve(self) -> None:
        d = os.path.dirname(self.path)
        if d:
            os.makedirs(d, mode=0o700, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        old = os.umask(0o177)
        try:
            self._server = await asyncio.start_unix_server(self._client, self.path)
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        async with self._server:
            await self._server.serve_forever()

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            try:
                req = json.loads(line)
                cmd = str(req.get("cmd", "")) if isinstance(req, dict) else ""
            except json.JSONDecodeError:
                cmd = ""
            out = await self.handler(cmd) if cmd else {"error": "bad request"}
            writer.write((json.dumps(out, default=str) + "\n").encode())
            await writer.drain()
        except (ConnectionError, OSError) as exc:
            log.debug("control client: %s", exc)
        finally:
            writer.close()


async def call(path: str, cmd: str, limit_s: float = 10.0) -> dict[str, Any]:
    async with asyncio.timeout(limit_s):
        reader, writer = await asyncio.open_unix_connection(path)
        try:
            writer.write((json.dumps({"cmd": cmd}) + "\n").encode())
            await writer.drain()
            line = await reader.readline()
        finally:
            writer.close()
    out = json.loads(line)
    if not isinstance(out, dict):
        raise ValueError("control: bad reply")
    return out
