"""Schema migrations: a small runner over numbered SQL files (recorder/migrations/NNN_name.sql).

Why not a migration tool of the ecosystem (alembic, yoyo, sqitch): the schema is plain SQL
reviewed as is, the runner is ~60 lines on asyncpg (already a dependency), and it adds what we
need and nothing else: files applied in number order, each in its own transaction together
with its row in `schema_migrations`, under an advisory lock so two processes starting at once
(recorder and gateway) do not race, and a checksum per applied file so an edited migration is
refused at start instead of silently diverging. A migration is never edited once shipped; a
change is a new file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x7265636F7264  # "record": advisory lock id for migrations


class MigrationError(RuntimeError):
    """The database's migrations do not match the files (edited, missing, or unknown)."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    out: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        m = _NAME.match(path.name)
        if m is None:
            raise MigrationError(f"{path.name}: migration files are named NNN_name.sql")
        out.append(Migration(int(m.group(1)), m.group(2), path.read_text(encoding="utf-8")))
    versions = [m.version for m in out]
    if versions != list(range(1, len(out) + 1)):
        raise MigrationError(f"migrations must be numbered 1..n without gaps, got {versions}")
    return out


async def apply(conn: asyncpg.Connection, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply every migration not applied yet; returns the versions applied now."""
    files = load(directory)
    applied_now: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        rows = await conn.fetch("SELECT version, name, checksum FROM schema_migrations")
        done = {r["version"]: r for r in rows}
        known = {m.version for m in files}
        unknown = sorted(set(done) - known)
        if unknown:
            raise MigrationError(
                f"database has migrations {unknown} this code does not know (newer code ran?)"
            )
        for m in files:
            row = done.get(m.version)
            if row is not None:
                if row["checksum"] != m.checksum:
                    raise MigrationError(
                        f"migration {m.version:03d}_{m.name} was edited after it was applied"
                    )
                continue
            await conn.execute(m.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                m.version, m.name, m.checksum,
            )
            applied_now.append(m.version)
    return applied_now
