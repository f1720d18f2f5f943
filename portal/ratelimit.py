"""Per-actor limits on requests that answer questions about other tenants' data.

Counted in the default cache, which is Redis when ``REDIS_URL`` is set, so every web process
sees the same counts (without Redis each process counts for itself, like the "Passwort
vergessen" limits). Fixed windows aligned to the clock: the answer can say exactly when the
next window, and so the next allowed request, begins.
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.cache import cache
from django.utils import timezone
from django.utils.formats import time_format


class RateLimited(Exception):
    """More than the limit within the current window; ``retry_at`` is when the next begins."""

    def __init__(self, retry_at: dt.datetime) -> None:
        self.retry_at = retry_at
        super().__init__(f"rate limited until {retry_at.isoformat()}")

    @property
    def local_time(self) -> str:
        """When to try again, as the user reads a clock (``14:00``, in the portal's zone)."""
        return time_format(timezone.localtime(self.retry_at), "H:i")


def hit(scope: str, key: object, *, limit: int, window_seconds: int) -> None:
    """Count one request of ``key`` (an admin's id) under ``scope``.

    Raises :class:`RateLimited` for the request that goes over ``limit`` and every later one
    in the same window.
    """
    window = int(time.time() // window_seconds)
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    cache.add(cache_key, 0, timeout=window_seconds + 60)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # evicted between add and incr
        cache.set(cache_key, 1, timeout=window_seconds + 60)
        count = 1
    if count > limit:
        raise RateLimited(dt.datetime.fromtimestamp((window + 1) * window_seconds, tz=dt.UTC))
