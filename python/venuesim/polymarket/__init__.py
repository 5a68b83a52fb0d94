"""Polymarket venue simulator: CLOB V2 REST + WebSocket, Gamma, market flow.

Run with `python -m venuesim polymarket --host 127.0.0.1 --port N`. It never imports
product code; the wire formats are taken from the venue's docs, the official client
`py-clob-client-v2` and captured payloads (see docs/SIMULATORS.md).
"""
