"""Operator dashboard: `python -m dashboard --socket PATH --port N --token-env DASHBOARD_TOKEN`.

One aiohttp app on 127.0.0.1 (app.py), fed by a data source (source.py: the trader over IPC).
"""

from dashboard.app import make_app
from dashboard.source import Source, TraderSource

__all__ = ["Source", "TraderSource", "make_app"]
