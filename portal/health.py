"""Readiness: can this process serve requests, i.e. reach its database (and Redis)?

Liveness (``/healthz``) asks nothing of them: a busy database must not make a load balancer
take every web process out at once, or restart them.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import DatabaseError, connection, transaction

log = logging.getLogger(__name__)

#: How long a readiness probe waits for each service, in seconds.
PROBE_TIMEOUT = 2


def database_ready() -> bool:
    """A ``SELECT 1``, cancelled by PostgreSQL after ``PROBE_TIMEOUT``."""
    try:
        if connection.vendor == "postgresql":
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {PROBE_TIMEOUT * 1000}")
                cursor.execute("SELECT 1")
        else:  # SQLite: no transaction, which would take the write lock
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
    except DatabaseError as exc:
        log.warning("readiness: database unavailable: %s", exc)
        return False
    return True


def redis_ready() -> bool | None:
    """A ``PING`` to ``REDIS_URL``; None when the portal runs without Redis."""
    if not settings.REDIS_URL:
        return None
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=PROBE_TIMEOUT, socket_timeout=PROBE_TIMEOUT
    )
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        log.warning("readiness: redis unavailable: %s", exc)
        return False
    finally:
        client.close()
    return True


def readiness() -> dict[str, bool]:
    """Each service the portal needs, and whether it answered."""
    checks = {"database": database_ready()}
    redis_state = redis_ready()
    if redis_state is not None:
        checks["redis"] = redis_state
    return checks
