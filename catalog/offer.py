"""The conference packages on offer, kept per process: every wizard step 5, cart, overview
filter and list import shows them, and they change a few times a year.

A save or delete of a package in this process empties the cache at once (signals, see
``CatalogConfig.ready``); other processes (more gunicorn workers, Celery) read the table again
after at most ``MAX_AGE`` seconds. A stale list only shows or offers a package: ordering
checks the package in the database (``Package.objects.orderable_by_code``).
"""

from __future__ import annotations

import time

from catalog.models import Package

#: Seconds another process may show the list from before a change.
MAX_AGE = 60.0

_cached: tuple[float, tuple[Package, ...]] | None = None


def conference_packages() -> list[Package]:
    """The orderable conference packages, smallest first (``Package.objects.conference()``)."""
    global _cached
    entry = _cached
    if entry is None or time.monotonic() - entry[0] > MAX_AGE:
        entry = (time.monotonic(), tuple(Package.objects.conference()))
        _cached = entry
    return list(entry[1])


def forget(**_kwargs) -> None:
    """Empty the cache (a signal receiver: a package was saved or deleted)."""
    global _cached
    _cached = None
