"""One API client connection: handshake, START_API, pacing, and request dispatch."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from venuesim.ibkr import decode, encode
from venuesim.ibkr import errors as err
from venuesim.ibkr.broker import EASTERN, Broker, Position
from venuesim.ibkr.encode import Fields
from venuesim.ibkr.market import Flow, Market
from venuesim.ibkr.model import ContractSpec
from venuesim.ibkr.wire import MAX_PAYLOAD, FieldReader, ProtocolError, frame, split_fields

SERVER_VERSION = 176        # pinned: the last text-protocol version our fixtures decode at
PACING_LIMIT = 50           # messages per second (100 market-data lines / 2)
PACING_WINDOW_S = 1.0
PACING_MAX_VIOLATIONS = 3   # the third violation closes the session
CLIENT_ID_IN_USE = 326
CLIENT_ID_IN_USE_TEXT = ("Unable to connect as the client id is already in use. "
                         "Retry with a unique client id.")

MONEY_TAGS = ("NetLiquidation", "TotalCashValue", "SettledCash", "GrossPositionValue",
              "AvailableFunds", "BuyingPower", "ExcessLiquidity", "EquityWithLoanValue",
              "InitMarginReq", "MaintMarginReq")
PLAIN_TAGS = {"AccountType": "INDIVIDUAL", "Cushion": "1", "DayTradesRemaining": "-1",
              "LookAheadNextChange": "0", "Leverage": "0"}


@dataclass
class Counters:
    connections: int = 0
    refused_handshakes: int = 0
    messages_in: int = 0
    messages_out: int = 0
    pacing_violations: int = 0
    paced_disconnects: int = 0
    unknown_messages: int = 0
    read_errors: int = 0
    by_request: dict[int, int] = field(default_factory=dict)


class SessionHost(Protocol):
    broker: Broker
    counters: Counters

    def data_lost(self) -> bool: ...


def connection_time() -> str:
    return dt.datetime.now(EASTERN).strftime("%Y%m%d %H:%M:%S %Z")


class Session:
    def __init__(self, host: SessionHost, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self._host = host
        self._broker = host.broker
        self._reader = reader
        self._writer = writer
        self.client_id = -1
        self._started = False
        self._closing = False
        self._recent: collections.deque[float] = collections.deque()
        self._violations = 0
        self._mkt: dict[int, int] = {}       # reqId -> conId
        self._tbt: dict[int, int] = {}
        self._positions_subscribed = False
        self._updates_account = ""          # reqAccountUpdates subscription, "" = none
        self._handlers: dict[int, Callable[[FieldReader], None]] = {
            decode.REQ_MKT_DATA: self._req_mkt_data,
            decode.CANCEL_MKT_DATA: self._cancel_mkt_data,
            decode.PLACE_ORDER: self._place_order,
            decode.CANCEL_ORDER: self._cancel_order,
            decode.REQ_OPEN_ORDERS: lambda r: self._open_orders(self.client_id),
            decode.REQ_ALL_OPEN_ORDERS: lambda r: self._open_orders(None),
            decode.REQ_AUTO_OPEN_ORDERS: lambda r: None,
            decode.REQ_ACCT_DATA: self._req_account_updates,
            decode.REQ_EXECUTIONS: self._req_executions,
            decode.REQ_IDS: lambda r: self.send(
                encode.next_valid_id(self._broker.next_order_id(self.client_id))),
            decode.REQ_CONTRACT_DATA: self._req_contract_details,
            decode.REQ_MANAGED_ACCTS: lambda r: self.send(
                encode.managed_accounts(self._broker.account_ids)),
            decode.REQ_CURRENT_TIME: lambda r: self.send(encode.current_time(int(time.time()))),
            decode.REQ_GLOBAL_CANCEL: lambda r: self._broker.global_cancel(),
            decode.REQ_MARKET_DATA_TYPE: lambda r: None,
            decode.REQ_POSITIONS: self._req_positions,
            decode.CANCEL_POSITIONS: self._cancel_positions,
            decode.REQ_ACCOUNT_SUMMARY: self._req_account_summary,
            decode.CANCEL_ACCOUNT_SUMMARY: lambda r: None,
            decode.REQ_ACCOUNT_UPDATES_MULTI: self._req_account_updates_multi,
            decode.CANCEL_ACCOUNT_UPDATES_MULTI: lambda r: None,
            decode.REQ_TICK_BY_TICK_DATA: self._req_tick_by_tick,
            decode.CANCEL_TICK_BY_TICK_DATA: self._cancel_tick_by_tick,
            decode.REQ_COMPLETED_ORDERS: lambda r: self.send(encode.completed_orders_end()),
        }

    # ---- transport -------------------------------------------------------------------------

    def send(self, fields: Fields) -> None:
        if self._closing:
            return
        self._host.counters.messages_out += 1
        self._writer.write(frame(encode.payload(fields)))

    def close(self) -> None:
        """Drop the connection (fault injection, pacing, server stop)."""
        self._closing = True
        self._writer.close()

    async def _read_frame(self) -> bytes:
        header = await self._reader.readexactly(4)
        (length,) = struct.unpack(">I", header)
        if length > MAX_PAYLOAD:
            raise ProtocolError(f"bad message length {length}")
        return await self._reader.readexactly(length)

    async def run(self) -> None:
        try:
            if not await self._handshake():
                return
            while not self._closing:
                payload = await self._read_frame()
                self._host.counters.messages_in += 1
                verdict = self._pace()
                if verdict == "close":
                    break
                if verdict == "ok":
                    self._handle(payload)
                await self._writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ProtocolError):
            pass
        finally:
            if self._started and self._broker.sessions.get(self.client_id) is self:
                del self._broker.sessions[self.client_id]
            self._closing = True
            self._writer.close()

    async def _handshake(self) -> bool:
        """`API\\0` + framed `v<min>..<max>`; answer 176 or refuse as TWS does."""
        prefix = await self._reader.readexactly(4)
        if prefix != b"API\0":
            self._host.counters.refused_handshakes += 1
            return False
        try:
            low, high = decode.parse_version_range(
                (await self._read_frame()).decode("ascii", errors="replace"))
        except ProtocolError:
            self._host.counters.refused_handshakes += 1
            return False
        if high < SERVER_VERSION:
            # A client that cannot speak our version is dropped without a reply.
            self._host.counters.refused_handshakes += 1
            return False
        self._writer.write(frame(encode.payload(
            encode.handshake_reply(SERVER_VERSION, connection_time()))))
        await self._writer.drain()
        if low > SERVER_VERSION:
            # TWS tells such a client its (older) version and the client gives up; we also
            # hang up so a client that does not check cannot go on at the wrong version.
            self._host.counters.refused_handshakes += 1
            return False
        self._host.counters.connections += 1
        return True

    def _pace(self) -> str:
        """Reject messages over 50 per second with error 100; the third one closes.

        Returns "ok" (handle it), "reject" (dropped, error 100 sent) or "close"."""
        now = asyncio.get_running_loop().time()
        while self._recent and now - self._recent[0] >= PACING_WINDOW_S:
            self._recent.popleft()
        if len(self._recent) < PACING_LIMIT:
            self._recent.append(now)
            return "ok"
        self._violations += 1
        self._host.counters.pacing_violations += 1
        self.send(encode.error(err.NO_REQ_ID, err.PACING, err.PACING_TEXT))
        if self._violations >= PACING_MAX_VIOLATIONS:
            self._host.counters.paced_disconnects += 1
            return "close"
        return "reject"

    def _handle(self, payload: bytes) -> None:
        try:
            fields = split_fields(payload)
            reader = FieldReader(fields)
            msg_id = reader.integer()
        except ProtocolError:
            self._host.counters.read_errors += 1
            self.send(encode.error(err.NO_REQ_ID, err.READ_ERROR, err.READ_ERROR_TEXT))
            return
        counts = self._host.counters.by_request
        counts[msg_id] = counts.get(msg_id, 0) + 1
        if msg_id == decode.START_API:
            self._start_api(reader)
            return
        if not self._started:
            self.send(encode.error(err.NO_REQ_ID, err.NOT_CONNECTED, err.NOT_CONNECTED_TEXT))
            return
        handler = self._handlers.get(msg_id)
        if handler is None:
            self._host.counters.unknown_messages += 1
            print(f"ibkr sim: ignoring unsupported message id {msg_id}", file=sys.stderr)
            return
        try:
            handler(reader)
        except ProtocolError as exc:
            self._host.counters.read_errors += 1
            self.send(encode.error(err.NO_REQ_ID, err.READ_ERROR,
                                   f"{err.READ_ERROR_TEXT} ({exc})"))

    def _start_api(self, r: FieldReader) -> None:
        r.skip()  # version 2
        client_id = r.integer()
        if self._started:
            return
        if client_id in self._broker.sessions:
            self.send(encode.error(err.NO_REQ_ID, CLIENT_ID_IN_USE, CLIENT_ID_IN_USE_TEXT))
            self.close()
            return
        self.client_id = client_id
        self._started = True
        self._broker.sessions[client_id] = self
        self.send(encode.next_valid_id(self._broker.next_order_id(client_id)))
        self.send(encode.managed_accounts(self._broker.account_ids))
        for code, text in err.FARM_MESSAGES:
            self.send(encode.error(err.NO_REQ_ID, code, text))
        if self._broker.paused:
            self.send(encode.error(err.NO_REQ_ID, err.CONNECTIVITY_LOST,
                                   err.CONNECTIVITY_LOST_TEXT))

    # ---- market data -----------------------------------------------------------------------

    def _req_mkt_data(self, r: FieldReader) -> None:
        req = decode.read_mkt_data(r)
        specs = self._broker.resolve(req.contract)
        if len(specs) != 1:
            self.send(encode.error(req.req_id, err.NO_SECURITY_DEFINITION,
                                   err.NO_SECURITY_DEFINITION_TEXT))
            return
        market = self._broker.markets[specs[0].contract.con_id]
        self.send(encode.market_data_type(req.req_id, 1))
        self.send(encode.tick_req_params(req.req_id, specs[0].min_tick, "9c0001", 3))
        self._send_quote(req.req_id, market, full=True)
        if req.snapshot:
            self.send(encode.tick_snapshot_end(req.req_id))
        else:
            self._mkt[req.req_id] = specs[0].contract.con_id

    def _cancel_mkt_data(self, r: FieldReader) -> None:
        r.skip()
        req_id = r.integer()
        if self._mkt.pop(req_id, None) is None:
            self.send(encode.error(req_id, err.UNKNOWN_TICKER, err.unknown_ticker(req_id)))

    def _send_quote(self, req_id: int, m: Market, full: bool) -> None:
        self.send(encode.tick_price(req_id, 1, m.bid, m.bid_size, 1))
        self.send(encode.tick_price(req_id, 2, m.ask, m.ask_size, 1))
        if full:
            self.send(encode.tick_price(req_id, 4, m.last, m.last_size, 0))
            self.send(encode.tick_size(req_id, 8, m.volume))
            self.send(encode.tick_price(req_id, 9, m.close, Decimal(0), 0))

    def _req_tick_by_tick(self, r: FieldReader) -> None:
        req = decode.read_tick_by_tick(r)
        specs = self._broker.resolve(req.contract)
        if len(specs) != 1:
            self.send(encode.error(req.req_id, err.NO_SECURITY_DEFINITION,
                                   err.NO_SECURITY_DEFINITION_TEXT))
            return
        self._tbt[req.req_id] = specs[0].contract.con_id
        self._send_bid_ask(req.req_id, self._broker.markets[specs[0].contract.con_id])

    def _cancel_tick_by_tick(self, r: FieldReader) -> None:
        self._tbt.pop(r.integer(), None)

    def _send_bid_ask(self, req_id: int, m: Market) -> None:
        self.send(encode.tick_by_tick_bid_ask(req_id, int(time.time()), bid=m.bid, ask=m.ask,
                                              bid_size=m.bid_size, ask_size=m.ask_size,
                                              attr_mask=0))

    def on_market(self, market: Market, flow: Flow | None) -> None:
        con_id = market.spec.contract.con_id
        for req_id, sub in self._mkt.items():
            if sub == con_id:
                self._send_quote(req_id, market, full=False)
                if flow is not None:
                    self.send(encode.tick_price(req_id, 4, flow.price, flow.size, 0))
                    self.send(encode.tick_size(req_id, 8, market.volume))
        for req_id, sub in self._tbt.items():
            if sub == con_id:
                self._send_bid_ask(req_id, market)

    def drop_market_data(self) -> None:
        """After 1101 (restored, data lost) subscriptions must be re-requested."""
        self._mkt.clear()
        self._tbt.clear()

    # ---- contracts and orders --------------------------------------------------------------

    def _req_contract_details(self, r: FieldReader) -> None:
        req = decode.read_contract_details(r)
        specs = self._broker.resolve(req.contract)
        if not specs:
            self.send(encode.error(req.req_id, err.NO_SECURITY_DEFINITION,
                                   err.NO_SECURITY_DEFINITION_TEXT))
            return
        for spec in specs:
            self.send(encode.contract_data(req.req_id, spec))
        self.send(encode.contract_data_end(req.req_id))

    def _place_order(self, r: FieldReader) -> None:
        req = decode.read_place_order(r)
        self._broker.place(self, req, asyncio.get_running_loop().time())

    def _cancel_order(self, r: FieldReader) -> None:
        r.skip()  # version 1
        self._broker.cancel(self, r.integer())

    def _open_orders(self, client_id: int | None) -> None:
        for order in self._broker.open_orders(client_id):
            self.send(encode.open_order(order.view()))
            self.send(self._broker.status_msg(order))
        self.send(encode.open_order_end())

    def _req_executions(self, r: FieldReader) -> None:
        f = decode.read_executions(r)
        for execution, report in self._broker.executions_for(f):
            self.send(encode.execution_data(f.req_id, execution))
            self.send(encode.commission_report(report))
        self.send(encode.execution_data_end(f.req_id))

    # ---- account ---------------------------------------------------------------------------

    def _cancel_positions(self, r: FieldReader) -> None:
        self._positions_subscribed = False

    def on_position(self, account: str, spec: ContractSpec, pos: Position) -> None:
        """A fill changed a position: stream it to position and account subscribers."""
        if self._positions_subscribed:
            self.send(encode.position(account, spec.contract, pos.qty, pos.avg_cost))
        if self._updates_account == account:
            self._send_portfolio_row(account, spec, pos)
            for key, value, currency in self._account_values(account):
                self.send(encode.account_value(key, value, currency, account))

    def _send_portfolio_row(self, account: str, spec: ContractSpec, pos: Position) -> None:
        mark = self._broker.mark(spec.contract.con_id)
        worth = pos.qty * mark
        self.send(encode.portfolio_value(spec.contract, pos.qty, market_price=mark,
                                         market_value=worth, avg_cost=pos.avg_cost,
                                         unrealized=worth - pos.qty * pos.avg_cost,
                                         realized=pos.realized, account=account))

    def _req_positions(self, r: FieldReader) -> None:
        self._positions_subscribed = True
        for account in self._broker.account_ids:
            for spec, pos in self._broker.position_rows(account):
                self.send(encode.position(account, spec.contract, pos.qty, pos.avg_cost))
        self.send(encode.position_end())

    def _summary_rows(self, account: str, tags: list[str] | None) -> list[tuple[str, str, str]]:
        values = self._broker.summary(account)
        rows: list[tuple[str, str, str]] = []
        for tag in MONEY_TAGS:
            if tags is None or tag in tags:
                amount = values.get(tag, values["TotalCashValue"] if tag == "SettledCash"
                                    else Decimal(0))
                rows.append((tag, str(amount.quantize(Decimal("0.01"))), "USD"))
        for tag, value in PLAIN_TAGS.items():
            if tags is None or tag in tags:
                rows.append((tag, value, ""))
        return rows

    def _req_account_summary(self, r: FieldReader) -> None:
        r.skip()  # version
        req_id = r.integer()
        r.skip()  # group ("All")
        tags = [t.strip() for t in r.text().split(",") if t.strip()]
        for account in self._broker.account_ids:
            for tag, value, currency in self._summary_rows(account, tags):
                self.send(encode.account_summary(req_id, account, tag, value, currency))
        self.send(encode.account_summary_end(req_id))

    def _account_values(self, account: str) -> list[tuple[str, str, str]]:
        rows = [("AccountCode", account, ""), *self._summary_rows(account, None)]
        for currency, amount in sorted(self._broker.accounts[account].cash.items()):
            rows.append(("CashBalance", str(amount.quantize(Decimal("0.01"))), currency))
        return rows

    def _req_account_updates(self, r: FieldReader) -> None:
        r.skip()  # version 2
        subscribe = r.boolean()
        account = r.text() or self._broker.account_ids[0]
        if not subscribe:
            self._updates_account = ""
            return
        if account not in self._broker.accounts:
            self.send(encode.account_download_end(account))
            return
        self._updates_account = account
        for key, value, currency in self._account_values(account):
            self.send(encode.account_value(key, value, currency, account))
        for spec, pos in self._broker.position_rows(account):
            if pos.qty != 0:
                self._send_portfolio_row(account, spec, pos)
        self.send(encode.account_update_time(dt.datetime.now(EASTERN).strftime("%H:%M")))
        self.send(encode.account_download_end(account))

    def _req_account_updates_multi(self, r: FieldReader) -> None:
        r.skip()  # version
        req_id = r.integer()
        account = r.text()
        model_code = r.text()
        accounts = [account] if account in self._broker.accounts else []
        for acct in accounts:
            for key, value, currency in self._account_values(acct):
                self.send(encode.account_update_multi(req_id, acct, model_code, key=key,
                                                      value=value, currency=currency))
        self.send(encode.account_update_multi_end(req_id))
