"""The throw-away servers the suite starts when none is running (a user's machine has none)."""

from __future__ import annotations

import psycopg
import pytest
import redis

from tests import services

pytestmark = pytest.mark.integration


def test_throwaway_redis_server_starts_and_answers() -> None:
    url = services._start_redis()
    client = redis.Redis.from_url(url)
    assert client.ping()
    assert not url.endswith(":6379")


def test_throwaway_postgresql_starts_and_accepts_connections() -> None:
    url = services._start_postgres()
    with psycopg.connect(url) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
        assert conn.execute("SELECT 1").fetchone() == (1,)
