"""The Redis control plane: kill broadcast, per-market screener configs, live event stream.

- control.kill: publish the kill broadcast (`trader` subscribes to it itself);
- control.screener: versioned, validated per-market configs with a follower that keeps the
  last valid config when Redis is down or a new one is invalid (and raises an alert);
- control.events: the live event stream (a Redis Stream fed by the recorder).

Redis is never the only path for anything that matters: a kill also works by file and CLI,
configs fall back to the last valid ones, and the record (Postgres) is written from the
journal whether Redis is up or not.
"""
