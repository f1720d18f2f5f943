"""The user cache on a real Redis (as in production): its generation counter works there."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from admins.services import deactivate_admin
from portal.policy import Actor
from tests.conftest import flushed_redis_db
from tests.portal.test_user_cache import user_queries

pytestmark = pytest.mark.redis

REDIS_URL = "redis://127.0.0.1:6379/11"  # a database for this test alone; flushed
USER_CACHE_ON_REDIS = {
    "CACHES": {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": [REDIS_URL],
            "KEY_PREFIX": "portal",
        }
    },
    "USER_CACHE_SECONDS": 300,
}


@pytest.fixture
def flushed_redis():
    with flushed_redis_db(REDIS_URL):
        yield


def test_the_user_comes_from_redis_until_the_admin_is_deactivated(flushed_redis, alice, bob):
    with override_settings(**USER_CACHE_ON_REDIS):
        client = Client()
        client.force_login(alice)
        dashboard = reverse("manage:dashboard")
        assert len(user_queries(client, dashboard)) == 1
        assert user_queries(client, dashboard) == []
        deactivate_admin(actor=Actor.for_admin(bob), admin=alice)
        response = client.get(dashboard)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:login"))
