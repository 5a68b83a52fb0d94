"""`POST /rpc`: JSON-RPC 2.0 over HTTP for web3 clients (single calls and batches)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .node import RpcError
from .worker import ChainWorker


def _error(req_id: Any, code: int, message: str, data: str | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    return {"jsonrpc": "2.0", "id": req_id, "error": err}


async def _one(worker: ChainWorker, call: Any) -> dict[str, Any]:
    if not isinstance(call, dict) or not isinstance(call.get("method"), str):
        return _error(None, -32600, "invalid request")
    req_id = call.get("id")
    params = call.get("params") or []
    if not isinstance(params, list):
        return _error(req_id, -32602, "params must be an array")
    try:
        result = await worker.call(worker.chain.rpc, call["method"], params)
    except RpcError as exc:
        return {"jsonrpc": "2.0", "id": req_id, "error": exc.as_json()}
    return {"jsonrpc": "2.0", "id": req_id, "result": result}


def handler(worker: ChainWorker) -> Any:
    async def rpc(request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.text())
        except json.JSONDecodeError:
            return web.json_response(_error(None, -32700, "parse error"))
        if isinstance(body, list):
            if not body:
                return web.json_response(_error(None, -32600, "empty batch"))
            return web.json_response([await _one(worker, c) for c in body])
        return web.json_response(await _one(worker, body))
    return rpc
