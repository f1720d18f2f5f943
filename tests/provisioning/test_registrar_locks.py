"""The Kamailio backend's locks and connection on the real registrar: one lock per username
and number (so writes of different subscribers do not wait for each other), the portal's
lock still stopping every write when held exclusively, one kept connection per thread, and
a whole order's jobs written by the batch."""

from __future__ import annotations

import psycopg
import pytest
from django.db import transaction

from provisioning import services
from provisioning.backends import LOCK_KEY, RegistrarUnavailable, get_backend
from provisioning.backends.kamailio import USER_LOCK_KEY
from provisioning.models import RegistrarJob

pytestmark = pytest.mark.kamailio

ANNA, ANNA_NUMBER = "anna.schmidt", "+4922818123410"
BEN, BEN_NUMBER = "ben.weber", "+4922818123411"


@pytest.fixture
def backend(registrar):
    return get_backend()


def test_a_locked_username_holds_up_only_its_own_writes(backend, registrar):
    with psycopg.connect(registrar.database_url) as blocker, blocker.transaction():
        blocker.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [USER_LOCK_KEY, ANNA])
        backend.ensure_subscriber(username=BEN, e164=BEN_NUMBER)  # not held up
        with pytest.raises(RegistrarUnavailable) as raised:
            backend.ensure_subscriber(username=ANNA, e164=ANNA_NUMBER)
    assert raised.value.reason == "timeout"
    assert registrar.sql("SELECT username FROM subscriber") == [(BEN,)]


def test_a_locked_number_holds_up_the_write_of_its_alias(backend, registrar):
    with psycopg.connect(registrar.database_url) as blocker, blocker.transaction():
        blocker.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [USER_LOCK_KEY, ANNA_NUMBER]
        )
        with pytest.raises(RegistrarUnavailable):
            backend.ensure_subscriber(username=ANNA, e164=ANNA_NUMBER)


def test_the_portals_lock_held_exclusively_stops_every_write(backend, registrar):
    with psycopg.connect(registrar.database_url) as blocker, blocker.transaction():
        blocker.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        with pytest.raises(RegistrarUnavailable):
            backend.ensure_subscriber(username=BEN, e164=BEN_NUMBER)
    backend.ensure_subscriber(username=BEN, e164=BEN_NUMBER)  # a fresh connection after it
    assert registrar.sql("SELECT username FROM subscriber") == [(BEN,)]


def test_one_connection_is_kept_between_transactions(backend, registrar):
    def sessions() -> list[tuple]:
        return registrar.sql(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = 'sip-trunk-portal' AND datname = current_database()"
        )

    backend.ensure_subscriber(username=ANNA, e164=ANNA_NUMBER)
    first, before = backend._connection().info.backend_pid, sessions()
    backend.ensure_subscriber(username=BEN, e164=BEN_NUMBER)
    backend.remove_subscriber(username=ANNA)
    assert backend._connection().info.backend_pid == first
    assert sessions() == before  # (other tests' worker threads may keep one each)


def test_an_orders_jobs_reach_the_registrar_by_the_batch(
    registrar, db, django_capture_on_commit_callbacks
):
    entries = [(f"stapel.{i}", f"+4922818124{i:03d}", f"ref:{i}") for i in range(30)]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.queue_ensure_many(entries)  # on commit: one batch task, run in-process here
    assert set(RegistrarJob.objects.values_list("status", flat=True)) == {"done"}
    assert registrar.sql("SELECT count(*) FROM subscriber") == [(30,)]
    aliases = registrar.sql("SELECT alias_username, username FROM dbaliases ORDER BY 1")
    assert aliases == sorted((e164, username) for username, e164, _ref in entries)
