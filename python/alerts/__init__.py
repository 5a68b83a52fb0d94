"""Operator alerts: Pushover and a generic webhook, de-duplicated and rate-limited.

    from alerts import AlertManager, Throttle, load_config, model
    cfg = load_config(Path("config/alerts.toml"))
    async with AlertManager(cfg.senders, throttle=Throttle(cfg.dedup_window_s, cfg.rate_max,
                                                           cfg.rate_window_s)) as am:
        am.notify(model.order_failure("polymarket", token_id, reason))

`python -m alerts --socket PATH --config FILE` runs the trader watcher (watcher.py).
"""

from alerts import model
from alerts.config import AlertConfig, ConfigError
from alerts.config import load as load_config
from alerts.dispatcher import AlertManager
from alerts.model import Alert
from alerts.throttle import Throttle


def throttle_for(cfg: AlertConfig) -> Throttle:
    return Throttle(dedup_window_s=cfg.dedup_window_s, rate_max=cfg.rate_max,
                    rate_window_s=cfg.rate_window_s)


__all__ = ["Alert", "AlertConfig", "AlertManager", "ConfigError", "Throttle", "load_config",
           "model", "throttle_for"]
