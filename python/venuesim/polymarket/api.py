"""HTTP routes: CLOB REST (public, L1, L2), Gamma under /gamma, admin under /_sim."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .auth import ApiKey, AuthError
from .chain.addresses import TRADING_SPENDERS
from .engine import Rejected
from .faults import FaultSpecError
from .gamma import clob_market_json, event_json, market_json
from .orders import parse_submission
from .render import order_json, trade_json
from .signing import CONDITIONAL_TOKENS
from .sim import Heartbeat, Sim
from .units import fmt

INITIAL_CURSOR = "MA=="
END_CURSOR = "LTE="
MAX_BATCH = 15
CANCEL_ONLY = ("Trading is currently cancel-only. New orders are not accepted, but cancels "
               "are allowed.")
MODE_RETRY_S = 60  # retry_after_seconds / Retry-After of a 503 trading restriction
MAX_UINT256 = str(2**256 - 1)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SIM_KEY = web.AppKey("sim", Sim)


def _err(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def _sim(request: web.Request) -> Sim:
    return request.app[SIM_KEY]


def _headers(request: web.Request) -> dict[str, str]:
    return {k.upper(): v for k, v in request.headers.items()}


def _cursor_offset(cursor: str) -> int:
    if not cursor or cursor == INITIAL_CURSOR:
        return 0
    try:
        return max(int(base64.b64decode(cursor).decode()), 0)
    except (ValueError, UnicodeDecodeError):
        return 0


def _page(items: list[Any], cursor: str, size: int) -> dict[str, Any]:
    start = _cursor_offset(cursor)
    chunk = items[start:start + size]
    end = start + size
    nxt = base64.b64encode(str(end).encode()).decode() if end < len(items) else END_CURSOR
    return {"data": chunk, "next_cursor": nxt, "limit": size, "count": len(chunk)}


# ---- middleware --------------------------------------------------------------------
@web.middleware
async def faults_and_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
    sim = _sim(request)
    path = request.path
    if path.startswith("/_sim") or path.startswith("/ws/") or path == "/rpc":
        return await handler(request)  # admin, sockets and the chain's JSON-RPC
    gamma = path.startswith("/gamma")
    method = "GAMMA" if gamma else request.method
    rl_path = path.removeprefix("/gamma") if gamma else path
    if rl_path.startswith("/markets/") or rl_path.startswith("/data/order/"):
        rl_path = rl_path.rsplit("/", 1)[0]
    client = request.headers.get("POLY_API_KEY") or request.remote or "?"
    verdict = sim.limiter.check(client, method, rl_path, sim.faults.rate_limit_scale)
    rl_headers = {"Poly-RateLimit-Limit": str(verdict.limit),
                  "Poly-RateLimit-Remaining": str(verdict.remaining),
                  "Poly-RateLimit-Reset": str(verdict.reset_s),
                  "Poly-RateLimit-Tier": "default"}
    if not verdict.allowed:
        return web.json_response({"error": "Too Many Requests",
                                  "retry_after_seconds": verdict.reset_s}, status=429,
                                 headers={**rl_headers, "Retry-After": str(verdict.reset_s)})
    if not gamma:
        f = sim.faults
        if f.slow_ms:
            await asyncio.sleep(f.slow_ms / 1000)
        rng = sim.engine.rng
        if f.http_500 and rng.random() < f.http_500:
            return _err(500, "could not run the execution")
        if f.http_425 and rng.random() < f.http_425:
            return _err(425, "the matching engine is restarting, please retry")
        if f.http_503 and rng.random() < f.http_503:
            return web.json_response({"error": CANCEL_ONLY, "code": "cancel_only_mode"},
                                     status=503)
    resp = await handler(request)
    resp.headers.update(rl_headers)
    return resp


# ---- auth helpers ------------------------------------------------------------------
async def _l2(request: web.Request) -> tuple[ApiKey, str]:
    body = await request.text()
    key = _sim(request).keys.check_l2(_headers(request), request.method, request.path, body)
    return key, body


def _auth_guard(handler: Callable[[web.Request, ApiKey, str], Awaitable[web.Response]]
                ) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            key, body = await _l2(request)
        except AuthError as exc:
            return _err(401, str(exc))
        return await handler(request, key, body)
    return wrapped


def _json_body(body: str) -> Any:
    try:
        return json.loads(body) if body else None
    except json.JSONDecodeError:
        return None


# ---- L1: credentials ---------------------------------------------------------------
async def create_api_key(request: web.Request) -> web.Response:
    sim = _sim(request)
    try:
        address, nonce = sim.keys.check_l1(_headers(request))
        k = sim.keys.create(address, nonce)
    except AuthError as exc:
        status = 401 if "L1" in str(exc) else 400
        return _err(status, str(exc))
    return web.json_response({"apiKey": k.key, "secret": k.secret, "passphrase": k.passphrase})


async def derive_api_key(request: web.Request) -> web.Response:
    sim = _sim(request)
    try:
        address, nonce = sim.keys.check_l1(_headers(request))
        k = sim.keys.derive(address, nonce)
    except AuthError as exc:
        status = 401 if "L1" in str(exc) else 400
        return _err(status, str(exc))
    return web.json_response({"apiKey": k.key, "secret": k.secret, "passphrase": k.passphrase})


async def get_api_keys(request: web.Request, key: ApiKey, body: str) -> web.Response:
    sim = _sim(request)
    keys = [k.key for k in sim.keys.keys.values() if k.address.lower() == key.address.lower()]
    return web.json_response({"apiKeys": keys})


async def delete_api_key(request: web.Request, key: ApiKey, body: str) -> web.Response:
    _sim(request).keys.delete(key.key)
    return web.json_response("OK")


# ---- orders ------------------------------------------------------------------------
def _mode_block(sim: Sim, post_only: bool) -> str | None:
    """The trading-restriction texts of docs.polymarket.com/resources/error-codes."""
    if sim.faults.mode == "cancel_only":
        return CANCEL_ONLY
    if sim.faults.mode == "post_only" and not post_only:
        return "post-only mode: only post-only orders and cancels are allowed"
    return None


def _batch_error(text: str, *, documented_success: bool = False) -> dict[str, Any]:
    """A per-order refusal inside a 200 batch response. The docs' post-only-mode example
    carries `"success": true` next to the error; other refusals say false (the shared
    fixture has both), so clients must read errorMsg, not success."""
    return {"errorMsg": text, "orderID": "", "takingAmount": "", "makingAmount": "",
            "status": "", "success": documented_success}


def _submit(sim: Sim, key: ApiKey, item: Any) -> dict[str, Any]:
    """Run one order through validation and matching; return the venue response object,
    or raise Rejected with the venue's error text."""
    sim.stats.received += 1
    acct = sim.stats.account(key.address)
    acct["received"] += 1
    now = sim.clock.now()
    sub = parse_submission(item, api_key=key.key, key_address=key.address,
                           catalogue=sim.catalogue, now_s=now, seq=sim.engine.next_seq())
    if sub.order.id in sim.engine.orders:
        raise Rejected("order already exists")
    result = sim.engine.place(sub.order, sub.post_only, now)
    sim.stats.accepted += 1
    acct["accepted"] += 1
    o = result.order
    status = "matched" if result.trades else ("live" if o.status == "LIVE" else "unmatched")
    out: dict[str, Any] = {
        "errorMsg": "", "orderID": o.id, "takingAmount": fmt(result.taking) if result.trades
        else "", "makingAmount": fmt(result.making) if result.trades else "",
        "status": status, "success": True}
    if result.trades:
        out["tradeIDs"] = [t.id for t in result.trades]
    return out


async def _first_contact(sim: Sim, key: ApiKey) -> None:
    if not sim.ledger.wallet(key.address).read:
        await sim.refresh_wallet(key.address, [])


async def post_order(request: web.Request, key: ApiKey, body: str) -> web.Response:
    sim = _sim(request)
    await _first_contact(sim, key)
    item = _json_body(body)
    blocked = _mode_block(sim, bool(isinstance(item, dict) and item.get("postOnly")))
    if blocked:
        return web.json_response({"error": blocked, "code": sim.faults.mode + "_mode",
                                  "retry_after_seconds": MODE_RETRY_S}, status=503,
                                 headers={"Retry-After": str(MODE_RETRY_S)})
    try:
        out = _submit(sim, key, item)
    except Rejected as exc:
        sim.stats.reject(key.address, str(exc))
        sim.publish()
        return _err(400, str(exc))
    sim.publish()
    return web.json_response(out)


async def post_orders(request: web.Request, key: ApiKey, body: str) -> web.Response:
    sim = _sim(request)
    items = _json_body(body)
    if not isinstance(items, list) or not items:
        return _err(400, "Invalid order payload")
    if len(items) > MAX_BATCH:
        return _err(400, f"Too many orders in payload: {len(items)}, max allowed: {MAX_BATCH}")
    await _first_contact(sim, key)
    results: list[dict[str, Any]] = []
    for item in items:
        blocked = _mode_block(sim, bool(isinstance(item, dict) and item.get("postOnly")))
        if blocked:
            results.append(_batch_error(blocked, documented_success=True))
            continue
        try:
            results.append(_submit(sim, key, item))
        except Rejected as exc:
            sim.stats.reject(key.address, str(exc))
            results.append(_batch_error(str(exc)))
    sim.publish()
    return web.json_response(results)


def _cancel_response(canceled: list[str], not_canceled: dict[str, str]) -> web.Response:
    return web.json_response({"canceled": canceled, "not_canceled": not_canceled})


async def cancel_order(request: web.Request, key: ApiKey, body: str) -> web.Response:
    sim = _sim(request)
    data = _json_body(body)
    if not isinstance(data, dict) or not isinstance(data.get("orderID"), str):
        return _err(400, "Invalid order payload")
    canceled, nc = sim.engine.cancel(key.key, [data["orderID"]])
    sim.publish()
    return _cancel_response(canceled, nc)


async def cancel_orders(request: web.Request, key: ApiKey, body: str) -> web.Response:
    sim = _sim(request)
    data = _json_body(body)
    if not isinstance(data, list) or not all(isinstance(i, str) for i in data):
        return _err(400, "Invalid order payload")
    canceled, nc = sim.engine.cancel(key.key, data)
    sim.publish()
    return _cancel_response(canceled, nc)


async def cancel_all(request: web.Request, key: ApiKey, body: str) -> web.Response:
    sim = _sim(request)
    ids = sim.engine.cancel_where(key.key)
    sim.publish()
    return _cancel_response(ids, {})


async def cancel_market_orders(request: web.Request, key: ApiKey, body: str) -> web.Response:
    sim = _sim(request)
    data = _json_body(body) or {}
    if not isinstance(data, dict):
        return _err(400, "Invalid order payload")
    ids = sim.engine.cancel_where(key.key, market=str(data.get("market") or ""),
                                  asset_id=str(data.get("asset_id") or ""))
    sim.publish()
    return _cancel_response(ids, {})


async def list_orders(request: web.Request, key: ApiKey, body: str) -> web.Response:
    sim = _sim(request)
    q = request.query
    orders = [o for o in sim.engine.open_orders(key.key)
              if (not q.get("market") or o.market == q["market"])
              and (not q.get("asset_id") or o.token_id == q["asset_id"])
              and (not q.get("id") or o.id == q["id"])]
    orders.sort(key=lambda o: o.seq)
    return web.json_response(_page([order_json(o) for o in orders],
                                   q.get("next_cursor", ""), sim.page_size))


async def get_order(request: web.Request, key: ApiKey, body: str) -> web.Response:
    o = _sim(request).engine.orders.get(request.match_info["order_id"])
    if o is None or o.owner != key.key:
        return web.json_response(None)
    return web.json_response(order_json(o))


async def list_trades(request: web.Request, key: ApiKey, body: str) -> web.Response:
    sim = _sim(request)
    q = request.query
    out = []
    for tid in sim.engine.trade_order:
        t = sim.engine.trades[tid]
        if key.key not in (t.taker.owner, t.maker.owner):
            continue
        if q.get("id") and t.id != q["id"]:
            continue
        if q.get("market") and t.market != q["market"]:
            continue
        if q.get("asset_id") and q["asset_id"] not in (t.taker.token_id, t.maker.token_id):
            continue
        if q.get("maker_address") and q["maker_address"].lower() not in (
                t.taker.maker_address, t.maker.maker_address):
            continue
        if q.get("before") and t.match_time >= float(q["before"]):
            continue
        if q.get("after") and t.match_time <= float(q["after"]):
            continue
        out.append(trade_json(t, key.key))
    return web.json_response(_page(out, q.get("next_cursor", ""), sim.page_size))


async def _balance_allowance(request: web.Request, key: ApiKey, update: bool) -> web.Response:
    """The CLOB's view of the wallet (chain read + unsettled trades). Like the venue it
    re-reads the chain on `/update` (and on first contact), not on every GET: a wallet
    that approves or wraps must call update before the CLOB sees it."""
    sim = _sim(request)
    asset_type = request.query.get("asset_type", "COLLATERAL")
    token = request.query.get("token_id", "")
    if asset_type == "CONDITIONAL":
        if sim.market_of(token) is None:
            return _err(400, "invalid token id")
    elif asset_type != "COLLATERAL":
        return _err(400, f"invalid asset type: {asset_type}")
    w = sim.ledger.wallet(key.address)
    if update or not w.read or (token and token not in w.tokens):
        await sim.refresh_wallet(key.address, [token] if token else [])
    if asset_type == "COLLATERAL":
        balance = w.available_collateral
        allowances = {s: str(w.allowances.get(s, 0)) for s in TRADING_SPENDERS}
    else:
        balance = w.available_tokens(token)
        allowances = {s: MAX_UINT256 if w.operators.get(s) else "0" for s in TRADING_SPENDERS}
    return web.json_response({"balance": str(balance), "allowances": allowances})


async def balance_allowance(request: web.Request, key: ApiKey, body: str) -> web.Response:
    return await _balance_allowance(request, key, update=False)


async def balance_allowance_update(request: web.Request, key: ApiKey, body: str
                                   ) -> web.Response:
    return await _balance_allowance(request, key, update=True)


async def heartbeat(request: web.Request, key: ApiKey, body: str) -> web.Response:
    sim = _sim(request)
    data = _json_body(body)
    sent = str(data.get("heartbeat_id", "")) if isinstance(data, dict) else ""
    current = sim.heartbeats.get(key.key)
    if current is not None and sent != current.heartbeat_id:
        return web.json_response({"error_msg": "Invalid Heartbeat ID",
                                  "heartbeat_id": current.heartbeat_id}, status=400)
    new_id = str(uuid.UUID(int=sim.engine.rng.getrandbits(128), version=4))
    sim.heartbeats[key.key] = Heartbeat(new_id, time.monotonic())
    return web.json_response({"heartbeat_id": new_id})


async def closed_only(request: web.Request, key: ApiKey, body: str) -> web.Response:
    return web.json_response({"closed_only": False})


# ---- public market data ------------------------------------------------------------
def _token_param(request: web.Request) -> str:
    return request.query.get("token_id", "")


async def ok(request: web.Request) -> web.Response:
    return web.json_response("OK")


async def server_time(request: web.Request) -> web.Response:
    return web.json_response(int(time.time()))


async def version(request: web.Request) -> web.Response:
    return web.json_response({"version": 2})


async def book(request: web.Request) -> web.Response:
    b = _sim(request).book_of(_token_param(request))
    if b is None:
        return _err(404, "No orderbook exists for the requested token id")
    return web.json_response(b)


async def _token_list(request: web.Request) -> list[dict[str, Any]] | None:
    try:
        data = await request.json()
    except json.JSONDecodeError:
        return None
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        return None
    return data


async def books(request: web.Request) -> web.Response:
    items = await _token_list(request)
    if items is None:
        return _err(400, "Invalid payload")
    sim = _sim(request)
    out = [b for d in items if (b := sim.book_of(str(d.get("token_id", "")))) is not None]
    return web.json_response(out)


def _mid(sim: Sim, token: str) -> str | None:
    bb, ba = sim.best_prices(token)
    if bb is None or ba is None:
        return None
    return fmt((bb + ba) // 2)


async def midpoint(request: web.Request) -> web.Response:
    sim = _sim(request)
    token = _token_param(request)
    if sim.market_of(token) is None:
        return _err(404, "No orderbook exists for the requested token id")
    return web.json_response({"mid": _mid(sim, token) or "0"})


async def midpoints(request: web.Request) -> web.Response:
    items = await _token_list(request)
    if items is None:
        return _err(400, "Invalid payload")
    sim = _sim(request)
    return web.json_response({str(d.get("token_id")): _mid(sim, str(d.get("token_id"))) or "0"
                              for d in items})


def _price(sim: Sim, token: str, side: str) -> str:
    bb, ba = sim.best_prices(token)
    value = bb if side == "BUY" else ba
    return fmt(value) if value is not None else "0"


async def price(request: web.Request) -> web.Response:
    sim = _sim(request)
    token, side = _token_param(request), request.query.get("side", "")
    if sim.market_of(token) is None:
        return _err(404, "No orderbook exists for the requested token id")
    if side not in ("BUY", "SELL"):
        return _err(400, "Invalid side")
    return web.json_response({"price": _price(sim, token, side)})


async def prices(request: web.Request) -> web.Response:
    items = await _token_list(request)
    if items is None:
        return _err(400, "Invalid payload")
    sim = _sim(request)
    out: dict[str, dict[str, str]] = {}
    for d in items:
        tok, side = str(d.get("token_id")), str(d.get("side", "BUY"))
        out.setdefault(tok, {})[side] = _price(sim, tok, side)
    return web.json_response(out)


async def spread(request: web.Request) -> web.Response:
    sim = _sim(request)
    token = _token_param(request)
    if sim.market_of(token) is None:
        return _err(404, "No orderbook exists for the requested token id")
    bb, ba = sim.best_prices(token)
    value = fmt(ba - bb) if bb is not None and ba is not None else "0"
    return web.json_response({"spread": value})


async def last_trade_price(request: web.Request) -> web.Response:
    lt = _sim(request).last_trade.get(_token_param(request))
    return web.json_response({"price": fmt(lt[0]) if lt else "0",
                              "side": lt[1] if lt else ""})


async def tick_size(request: web.Request) -> web.Response:
    m = _sim(request).market_of(_token_param(request))
    if m is None:
        return _err(404, "market not found")
    return web.json_response({"minimum_tick_size": float(m.tick)})


async def neg_risk(request: web.Request) -> web.Response:
    m = _sim(request).market_of(_token_param(request))
    if m is None:
        return _err(404, "market not found")
    return web.json_response({"neg_risk": m.neg_risk})


async def fee_rate(request: web.Request) -> web.Response:
    m = _sim(request).market_of(_token_param(request))
    if m is None:
        return _err(404, "market not found")
    return web.json_response({"base_fee": int(m.fee_rate * 10000) if m.fees_enabled else 0})


async def clob_market_info(request: web.Request) -> web.Response:
    m = _sim(request).catalogue.markets.get(request.match_info["condition_id"])
    if m is None:
        return _err(404, "market not found")
    return web.json_response({
        "t": [{"t": t, "o": o} for t, o in zip(m.token_ids, m.outcomes, strict=True)],
        "mts": float(m.tick), "mos": m.min_size, "nr": m.neg_risk,
        "fd": {"r": float(m.fee_rate), "e": m.fee_exponent} if m.fees_enabled else None})


async def market_by_token(request: web.Request) -> web.Response:
    m = _sim(request).market_of(request.match_info["token_id"])
    if m is None:
        return _err(404, "market not found")
    return web.json_response({"condition_id": m.condition_id, "primary_token_id": m.token_ids[0],
                              "secondary_token_id": m.token_ids[1]})


async def clob_markets(request: web.Request) -> web.Response:
    sim = _sim(request)
    items = [clob_market_json(m, sim.engine.books.get(m.condition_id))
             for m in sim.catalogue.markets.values()]
    return web.json_response(_page(items, request.query.get("next_cursor", ""), sim.page_size))


async def clob_market(request: web.Request) -> web.Response:
    sim = _sim(request)
    m = sim.catalogue.markets.get(request.match_info["condition_id"])
    if m is None:
        return _err(404, "market not found")
    return web.json_response(clob_market_json(m, sim.engine.books.get(m.condition_id)))


async def rebates_current(request: web.Request) -> web.Response:
    sim = _sim(request)
    maker = request.query.get("maker_address", "").lower()
    date = request.query.get("date", "")
    rows = [{"date": r["date"], "condition_id": r["condition_id"],
             "asset_address": CONDITIONAL_TOKENS, "maker_address": r["maker_address"],
             "rebated_fees_usdc": fmt(r["amount"])}
            for r in sim.engine.rebate_log
            if (not maker or r["maker_address"] == maker) and (not date or r["date"] == date)]
    return web.json_response(rows)


# ---- Gamma -------------------------------------------------------------------------
def _bool_q(value: str | None) -> bool | None:
    return None if value is None else value.lower() == "true"


async def gamma_markets(request: web.Request) -> web.Response:
    sim = _sim(request)
    q = request.query
    ms = list(sim.catalogue.markets.values())
    if "slug" in q:
        slugs = set(q.getall("slug"))
        ms = [m for m in ms if m.slug in slugs]
    if "condition_ids" in q:
        ids = set(q.getall("condition_ids"))
        ms = [m for m in ms if m.condition_id in ids]
    if "clob_token_ids" in q:
        toks = set(q.getall("clob_token_ids"))
        ms = [m for m in ms if toks.intersection(m.token_ids)]
    out = [market_json(m, sim.engine.books.get(m.condition_id), sim.catalogue) for m in ms]
    for name in ("active", "closed"):
        want = _bool_q(q.get(name))
        if want is not None:
            out = [d for d in out if d[name] is want]
    offset, limit = int(q.get("offset", "0")), int(q.get("limit", "500"))
    return web.json_response(out[offset:offset + limit])


async def gamma_market(request: web.Request) -> web.Response:
    sim = _sim(request)
    m = sim.catalogue.by_gamma_id.get(request.match_info["market_id"])
    if m is None:
        return web.json_response({"type": "not found error", "error": "id not found"},
                                 status=404)
    return web.json_response(market_json(m, sim.engine.books.get(m.condition_id),
                                         sim.catalogue))


async def gamma_events(request: web.Request) -> web.Response:
    sim = _sim(request)
    q = request.query
    out = [event_json(e, sim.catalogue, sim.engine.books) for e in sim.catalogue.events]
    if "slug" in q:
        out = [e for e in out if e["slug"] in set(q.getall("slug"))]
    if "id" in q:
        out = [e for e in out if e["id"] in set(q.getall("id"))]
    for name in ("active", "closed"):
        want = _bool_q(q.get(name))
        if want is not None:
            out = [d for d in out if d[name] is want]
    offset, limit = int(q.get("offset", "0")), int(q.get("limit", "500"))
    return web.json_response(out[offset:offset + limit])


# ---- admin -------------------------------------------------------------------------
async def sim_stats(request: web.Request) -> web.Response:
    return web.json_response(_sim(request).stats_json())


async def sim_faults(request: web.Request) -> web.Response:
    sim = _sim(request)
    try:
        data = await request.json()
        if not isinstance(data, dict):
            raise FaultSpecError("body must be a JSON object")
        sim.faults.update(data)
    except (json.JSONDecodeError, FaultSpecError) as exc:
        return _err(400, str(exc))
    sim.engine.trade_fail_probability = sim.faults.trade_fail  # for the very next match
    await sim.sync_chain_faults()
    for channel in ("market", "user"):
        if getattr(sim.faults, f"ws_{channel}") == "drop":
            setattr(sim.faults, f"ws_{channel}", "ok")
            await sim.hub.drop(channel)
    sim.hub.apply_faults()
    return web.json_response(sim.faults.as_dict())


async def sim_accounts(request: web.Request) -> web.Response:
    """Faucet: fund/approve wallets on the chain like the accounts file
    (`{"wallets":[...]}`; here `"approved": false` revokes the approvals)."""
    sim = _sim(request)
    try:
        data = await request.json()
        wallets = data["wallets"]
        if not isinstance(wallets, list):
            raise TypeError("wallets must be a list")
        await sim.fund_async(wallets)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, ArithmeticError) as exc:
        return _err(400, f"bad accounts payload: {exc}")
    return web.json_response({"ok": True})


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/ok", ok)
    r.add_get("/", ok)
    r.add_get("/time", server_time)
    r.add_get("/version", version)
    r.add_post("/auth/api-key", create_api_key)
    r.add_get("/auth/derive-api-key", derive_api_key)
    r.add_get("/auth/api-keys", _auth_guard(get_api_keys))
    r.add_delete("/auth/api-key", _auth_guard(delete_api_key))
    r.add_get("/auth/ban-status/closed-only", _auth_guard(closed_only))
    r.add_post("/order", _auth_guard(post_order))
    r.add_post("/orders", _auth_guard(post_orders))
    r.add_delete("/order", _auth_guard(cancel_order))
    r.add_delete("/orders", _auth_guard(cancel_orders))
    r.add_delete("/cancel-all", _auth_guard(cancel_all))
    r.add_delete("/cancel-market-orders", _auth_guard(cancel_market_orders))
    r.add_get("/data/orders", _auth_guard(list_orders))
    r.add_get("/data/order/{order_id}", _auth_guard(get_order))
    r.add_get("/data/trades", _auth_guard(list_trades))
    r.add_get("/balance-allowance", _auth_guard(balance_allowance))
    r.add_get("/balance-allowance/update", _auth_guard(balance_allowance_update))
    r.add_post("/v1/heartbeats", _auth_guard(heartbeat))
    r.add_get("/book", book)
    r.add_post("/books", books)
    r.add_get("/midpoint", midpoint)
    r.add_post("/midpoints", midpoints)
    r.add_get("/price", price)
    r.add_post("/prices", prices)
    r.add_get("/spread", spread)
    r.add_get("/last-trade-price", last_trade_price)
    r.add_get("/tick-size", tick_size)
    r.add_get("/neg-risk", neg_risk)
    r.add_get("/fee-rate", fee_rate)
    r.add_get("/clob-markets/{condition_id}", clob_market_info)
    r.add_get("/markets-by-token/{token_id}", market_by_token)
    r.add_get("/markets", clob_markets)
    r.add_get("/markets/{condition_id}", clob_market)
    r.add_get("/rebates/current", rebates_current)
    r.add_get("/gamma/markets", gamma_markets)
    r.add_get("/gamma/markets/{market_id}", gamma_market)
    r.add_get("/gamma/events", gamma_events)
    r.add_get("/_sim/stats", sim_stats)
    r.add_post("/_sim/faults", sim_faults)
    r.add_post("/_sim/accounts", sim_accounts)
