"""Binance Spot simulator: REST /api/v3, market streams, WebSocket API user data.

Speaks the wire protocol of the official binance-spot-api-docs; never imports product code.
"""
