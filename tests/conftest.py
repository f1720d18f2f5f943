"""The cast: alice and bob administer Demo GmbH, charlie administers Beispiel AG."""

from __future__ import annotations

import contextlib
import os
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from kombu import pools as kombu_pools

from catalog.models import Feature, Package
from portal.models import Customer, User
from tests.waiting import wait_for  # noqa: F401 - imported from here by many tests
from trunks.models import NumberBlock, SipTrunk
from trunks.services import save_number_block

NEEDS = {
    "postgres": "PostgreSQL",
    "redis": "Redis",
    "browser": "Chromium",
    "kamailio": "Kamailio and sipp",
}


def pytest_collection_modifyitems(config, items):
    """Deselect database-specific tests that cannot run on the current database."""
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("postgres") and not on_postgres else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def require_service(name: str, available: bool, why: str = "") -> None:
    """Skip without the service, except in CI, where a missing service fails the test."""
    if available:
        return
    message = f"{NEEDS.get(name, name)} is not available{': ' + why if why else ''}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: services must be there)")
    pytest.skip(message)


@contextlib.contextmanager
def flushed_redis_db(url: str):
    """A client of a Redis database of a test's own, emptied before and after (skips without
    Redis, and fails in CI)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        require_service("redis", False, f"{url}: {exc}")
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


def database_url() -> str:
    """The test database as a DATABASE_URL, for another process (a worker, a web process)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(autouse=True)
def _celery_as_configured():
    """After each test, the Celery app is back to the project's settings (in-process tasks).

    Tests that run a real worker change the app's configuration; a leak would make every
    later test publish to a broker that is gone instead of running its tasks.
    """
    yield
    from django.conf import settings

    from portal.celery import app

    app.conf.update(
        task_always_eager=settings.CELERY_TASK_ALWAYS_EAGER,
        broker_url=settings.CELERY_BROKER_URL,
        broker_transport_options=dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS),
    )
    # Even in-process tasks take a producer from a pool; kombu keeps pools per connection,
    # and a test's broker is gone now, so every pool starts afresh.
    kombu_pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture(autouse=True)
def _fresh_process_cache():
    """Counters in the process's own cache (rate limits, device lock counts) start at zero,
    and the packages on offer are read again.

    Only the in-memory cache is cleared: a Redis named by the environment is not ours.
    """
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    from catalog import offer

    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()
    offer.forget()  # a rolled-back test's packages sent no signal
    yield


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    from notifications.sms import LocmemSmsBackend

    LocmemSmsBackend.outbox.clear()
    yield
    LocmemSmsBackend.outbox.clear()


@pytest.fixture
def packages(db):
    rows = [
        ("arbeitsplatz", Package.Kind.WORKPLACE, "SIP-Trunk Arbeitsplatz", 0, [], "6.90"),
        ("konferenz-basic", Package.Kind.CONFERENCE, "Konferenz Basic", 1, [Feature.CHAT], "4.90"),
        ("konferenz-plus", Package.Kind.CONFERENCE, "Konferenz Plus", 2, [Feature.CHAT], "9.90"),
        (
            "konferenz-premium",
            Package.Kind.CONFERENCE,
            "Konferenz Premium",
            3,
            [c for c, _ in Feature.choices],
            "14.90",
        ),
    ]
    return {
        code: Package.objects.create(
            code=code, kind=kind, name=name, rank=rank, features=features, monthly_net=Decimal(p)
        )
        for code, kind, name, rank, features, p in rows
    }


@pytest.fixture
def demo_customer(db):
    return Customer.objects.create(name="Demo GmbH", number="K-1")


@pytest.fixture
def other_customer(db):
    return Customer.objects.create(name="Beispiel AG", number="K-2")


def make_trunk(customer, name, base, first, last, quota=25):
    trunk = SipTrunk.objects.create(customer=customer, name=name, workplace_quota=quota)
    save_number_block(
        NumberBlock(trunk=trunk, base=base, first_extension=first, last_extension=last)
    )
    return trunk


@pytest.fixture
def trunk(demo_customer, packages):
    return make_trunk(demo_customer, "Zentrale Bonn", "+49228181234", 10, 99)


@pytest.fixture
def other_trunk(other_customer, packages):
    return make_trunk(other_customer, "Hauptsitz Köln", "+4922198765", 10, 99)


def _admin(username, customer):
    return User.objects.create_user(
        username=username, password="Secret-Pass-1", customer=customer, first_name=username.title()
    )


@pytest.fixture
def alice(demo_customer):
    return _admin("alice", demo_customer)


@pytest.fixture
def bob(demo_customer):
    return _admin("bob", demo_customer)


@pytest.fixture
def charlie(other_customer):
    return _admin("charlie", other_customer)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice):
    return client_for(alice)


@pytest.fixture
def bob_client(bob):
    return client_for(bob)


@pytest.fixture
def charlie_client(charlie):
    return client_for(charlie)
