"""The TWS socket listener, the market clock, fault injection and the HTTP admin side port."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from venuesim.ibkr import encode
from venuesim.ibkr import errors as err
from venuesim.ibkr.broker import Broker
from venuesim.ibkr.faults import Faults, FaultSpecError, apply, seconds
from venuesim.ibkr.session import SERVER_VERSION, Counters, Session

STEP_S = 0.2   # market tick period at --speed 1


class SimServer:
    def __init__(self, broker: Broker, faults: Faults, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.broker = broker
        self.counters = Counters()
        self.faults = faults
        self.speed = speed
        self._sessions: set[Session] = set()
        self._tg: asyncio.TaskGroup | None = None
        self._cycles = 0

    def data_lost(self) -> bool:
        return self.broker.paused

    async def _on_client(self, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        session = Session(self, reader, writer)
        self._sessions.add(session)
        try:
            await session.run()
        finally:
            self._sessions.discard(session)

    # ---- faults ----------------------------------------------------------------------------

    def disconnect_all(self) -> int:
        sessions = list(self._sessions)
        for session in sessions:
            session.close()
        return len(sessions)

    def _broadcast_error(self, code: int, text: str) -> None:
        for session in list(self._sessions):
            if session.client_id >= 0:
                session.send(encode.error(err.NO_REQ_ID, code, text))

    async def connectivity_cycle(self, down_s: float, data_lost: bool) -> None:
        """1100, a pause in matching and market data, then 1102 (or 1101 if data is lost)."""
        self._cycles += 1
        self.broker.paused = True
        self._broadcast_error(err.CONNECTIVITY_LOST, err.CONNECTIVITY_LOST_TEXT)
        try:
            await asyncio.sleep(down_s)
        finally:
            self.broker.paused = False
            if data_lost:
                for session in list(self._sessions):
                    session.drop_market_data()
                self._broadcast_error(err.RESTORED_DATA_LOST, err.RESTORED_DATA_LOST_TEXT)
            else:
                self._broadcast_error(err.RESTORED_DATA_KEPT, err.RESTORED_DATA_KEPT_TEXT)

    def _spawn(self, coro: Any) -> None:
        if self._tg is None:
            coro.close()
            raise RuntimeError("server is not running")
        self._tg.create_task(coro)

    async def _market_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(STEP_S / self.speed)
            self.broker.delay_fills_s = self.faults.delay_fills
            self.broker.step(loop.time())

    async def _fault_loop(self) -> None:
        loop = asyncio.get_running_loop()
        last_disconnect = last_cycle = loop.time()
        while True:
            await asyncio.sleep(0.1)
            now = loop.time()
            f = self.faults
            if f.disconnect_every and now - last_disconnect >= f.disconnect_every:
                last_disconnect = now
                self.disconnect_all()
            if f.connectivity_every and now - last_cycle >= f.connectivity_every \
                    and not self.broker.paused:
                last_cycle = now
                self._spawn(self.connectivity_cycle(f.connectivity_down, data_lost=False))

    # ---- admin HTTP ------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        b = self.broker
        c = self.counters
        return {
            "venue": "ibkr",
            "server_version": SERVER_VERSION,
            "sessions": sorted(b.sessions),
            "connections_total": c.connections,
            "refused_handshakes": c.refused_handshakes,
            "messages_in": c.messages_in,
            "messages_out": c.messages_out,
            "pacing_violations": c.pacing_violations,
            "paced_disconnects": c.paced_disconnects,
            "unknown_messages": c.unknown_messages,
            "read_errors": c.read_errors,
            "requests": {str(k): v for k, v in sorted(c.by_request.items())},
            "orders_placed": b.stats.orders_placed,
            "orders_rejected": b.stats.orders_rejected,
            "orders_cancelled": b.stats.orders_cancelled,
            "orders_open": len(b.open_orders(None)),
            "fills": b.stats.fills,
            "errors": {str(k): v for k, v in sorted(b.stats.errors.items())},
            "connectivity_lost": b.paused,
            "connectivity_cycles": self._cycles,
            "quotes": {m.spec.key: {"bid": str(m.bid), "ask": str(m.ask)}
                       for m in b.markets.values()},
            "faults": self.faults.as_json(),
        }

    async def _get_stats(self, _request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def _post_faults(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return web.json_response({"error": "body must be a JSON object"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"error": "body must be a JSON object"}, status=400)
        actions = {k: body.pop(k) for k in ("disconnect", "connectivity_cycle",
                                            "fill_resting", "set_mid") if k in body}
        cycle = actions.get("connectivity_cycle")
        opts = cycle if isinstance(cycle, dict) else {}
        try:
            mids = _parse_mids(actions.get("set_mid"), self.broker)
            down = seconds("down_s", opts.get("down_s", self.faults.connectivity_down))
            apply(self.faults, body)
        except FaultSpecError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        done: dict[str, Any] = {}
        for key, mid in mids.items():
            self.broker.markets[key].set_mid(mid)
        if mids:
            done["set_mid"] = len(mids)
        if actions.get("fill_resting"):
            done["fill_resting"] = self.broker.fill_resting()
        if cycle:
            self._spawn(self.connectivity_cycle(down, bool(opts.get("data_lost", False))))
            done["connectivity_cycle"] = down
        if actions.get("disconnect"):
            done["disconnect"] = self.disconnect_all()
        return web.json_response({"faults": self.faults.as_json(), "done": done})

    # ---- lifecycle -------------------------------------------------------------------------

    async def serve(self, host: str, port: int, admin_port: int,
                    ready: Callable[[dict[str, Any]], None]) -> None:
        server = await asyncio.start_server(self._on_client, host, port)
        app = web.Application()
        app.router.add_get("/_sim/stats", self._get_stats)
        app.router.add_post("/_sim/faults", self._post_faults)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        admin_sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        admin_sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        admin_sock.bind((host, admin_port))
        admin_sock.listen(16)
        admin_sock.setblocking(False)
        await web.SockSite(runner, admin_sock).start()
        tws_port = server.sockets[0].getsockname()[1]
        admin = admin_sock.getsockname()[1]
        try:
            async with server, asyncio.TaskGroup() as tg:
                self._tg = tg
                tg.create_task(self._market_loop())
                tg.create_task(self._fault_loop())
                ready({"venue": "ibkr", "ready": True,
                       "urls": {"tws": f"{host}:{tws_port}", "admin": f"http://{host}:{admin}"}})
                await server.serve_forever()
        finally:
            self._tg = None
            self.disconnect_all()
            await runner.cleanup()


def _parse_mids(raw: object, broker: Broker) -> dict[int, Decimal]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise FaultSpecError('set_mid must be an object like {"AAPL": "190.00"}')
    by_key = {m.spec.key: con_id for con_id, m in broker.markets.items()}
    out = {}
    for key, value in raw.items():
        if key not in by_key:
            raise FaultSpecError(f"set_mid: unknown contract {key!r}")
        try:
            mid = Decimal(str(value))
        except InvalidOperation as exc:
            raise FaultSpecError(f"set_mid: {value!r} is not a price") from exc
        if not mid.is_finite() or mid <= 0:
            raise FaultSpecError(f"set_mid: {value!r} is not a positive price")
        out[by_key[key]] = mid
    return out
