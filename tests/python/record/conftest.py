"""Fixtures of the record tests: throwaway Postgres and Redis from the installed binaries
(python/localsvc), torn down after; helpers in record_harness.py beside this file."""

from __future__ import annotations

import itertools
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from localsvc import PostgresHandle, RedisHandle, start_postgres, start_redis

_db_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresHandle]:
    """One Postgres for the session; each test gets its own database (pg_dsn)."""
    pg = start_postgres()
    yield pg
    pg.stop()


@pytest.fixture
async def pg_dsn(pg_server: PostgresHandle) -> AsyncIterator[str]:
    name = f"rec_{next(_db_names)}"
    conn = await asyncpg.connect(pg_server.dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    yield pg_server.dsn_for(name)


@pytest.fixture
def redis_server() -> Iterator[RedisHandle]:
    r = start_redis()
    yield r
    r.stop()
