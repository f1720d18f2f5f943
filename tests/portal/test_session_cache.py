"""With Redis, a page reads the session from the cache: no query for it, the login remains."""

from __future__ import annotations

import pytest
import redis
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import flushed_redis_db

pytestmark = pytest.mark.redis

REDIS_URL = "redis://127.0.0.1:6379/13"  # a database for this test alone; flushed
CACHED_SESSIONS = {
    "CACHES": {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": [REDIS_URL],
            "KEY_PREFIX": "portal",
        }
    },
    "SESSION_ENGINE": "django.contrib.sessions.backends.cached_db",
}


@pytest.fixture
def flushed_redis():
    with flushed_redis_db(REDIS_URL):
        yield


def session_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("manage:dashboard"))
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]


def test_a_page_reads_the_session_from_redis_without_a_query(flushed_redis, alice):
    with override_settings(**CACHED_SESSIONS):
        alice_client = Client()
        alice_client.force_login(alice)
        assert session_queries(alice_client) == []
        # Redis lost its copy (restart, eviction): the session comes from the database again.
        redis.Redis.from_url(REDIS_URL).flushdb()
        assert len(session_queries(alice_client)) == 1
        assert session_queries(alice_client) == []
