"""A held database lock does not stall the portal: a bounded wait, then a German 503.

The locks are real: another connection to the test database holds them (SQLite's write lock
through ``sqlite3``, PostgreSQL's ``LOCK TABLE`` through psycopg), while the portal's request
waits for its own, shortened, timeout.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from orders.models import Order
from orders.services import cart_of
from tests.conftest import database_url
from tests.wizard_helpers import complete_draft

BUSY = "Das Portal ist gerade ausgelastet"
PLACE = reverse("orders:place")

on_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's own lock; PostgreSQL is tested below"
)


def test_healthz_with_a_logged_in_session_asks_nothing_of_the_database(
    alice_client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = alice_client.get(reverse("portal:healthz"))
    assert response.status_code == 200
    assert response.content == b"ok"


def test_readyz_answers_200_when_the_database_answers(db, client, settings):
    assert settings.REDIS_URL is None
    response = client.get(reverse("portal:readyz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_readyz_answers_503_when_the_configured_redis_does_not(db, client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get(reverse("portal:readyz"))
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "redis": "unavailable"}


@pytest.mark.postgres
def test_readyz_answers_503_when_the_database_connection_is_gone(transactional_db, client):
    """The server ends this process's connection (as a restart or failover would)."""
    import psycopg

    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    with psycopg.connect(database_url(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    response = client.get(reverse("portal:readyz"))
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable"}
    connection.close()  # the next test connects anew
    assert client.get(reverse("portal:readyz")).status_code == 200


def place_order(client: Client, token) -> object:
    return client.post(PLACE, {"token": str(token)})


def assert_busy_page(response) -> None:
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"] == "10"
    page = response.content.decode()
    assert BUSY in page
    assert "Bitte versuchen Sie es in 10 Sekunden erneut." in page
    assert "no-store" in response["Cache-Control"]


def assert_retry_makes_one_order(client: Client, token) -> None:
    response = place_order(client, token)
    assert response.status_code == HTTPStatus.FOUND
    order = Order.objects.get()
    assert response["Location"] == reverse("orders:detail", args=[order.code])
    assert order.submission == token
    # And once more, as a browser that resends: still that one order.
    again = place_order(client, token)
    assert again["Location"] == response["Location"]
    assert Order.objects.count() == 1


@contextmanager
def sqlite_write_lock():
    """Another connection holds SQLite's write lock (as a long import would)."""
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.fixture
def short_sqlite_timeout(monkeypatch):
    connection.close()
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.2)
    yield
    connection.close()


@on_sqlite
def test_an_order_while_sqlite_is_locked_answers_503_and_a_retry_makes_one_order(
    transactional_db, alice, alice_client, trunk, short_sqlite_timeout
):
    complete_draft(alice_client, trunk, username="erste.person")
    token = cart_of(alice).token
    with sqlite_write_lock():
        assert_busy_page(place_order(alice_client, token))
    assert not Order.objects.exists()
    assert_retry_makes_one_order(alice_client, token)


@contextmanager
def postgres_table_lock(table: str):
    """Another connection holds ``LOCK TABLE`` (ACCESS EXCLUSIVE) until the block ends."""
    import psycopg

    other = psycopg.connect(database_url())
    other.execute(f"LOCK TABLE {table}")
    try:
        yield
    finally:
        other.rollback()
        other.close()


@pytest.fixture
def short_lock_timeout(monkeypatch):
    """New connections (each thread opens its own) wait 300 ms for a lock."""
    connection.close()
    monkeypatch.setitem(
        connection.settings_dict["OPTIONS"],
        "options",
        "-c lock_timeout=300 -c statement_timeout=30000",
    )
    yield
    connection.close()


@pytest.mark.postgres
def test_postgres_uses_the_configured_timeouts(db, settings):
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        lock_timeout = cursor.fetchone()[0]
        cursor.execute("SHOW statement_timeout")
        statement_timeout = cursor.fetchone()[0]
    assert (lock_timeout, statement_timeout) == ("5s", "30s")


@pytest.mark.postgres
def test_a_held_table_lock_answers_503_while_healthz_answers_and_a_retry_makes_one_order(
    transactional_db, alice, alice_client, trunk, short_lock_timeout
):
    complete_draft(alice_client, trunk, username="erste.person")
    token = cart_of(alice).token
    answers: list = []

    def order_in_another_worker() -> None:
        try:
            answers.append(place_order(alice_client, token))
        finally:
            connection.close()

    with postgres_table_lock("orders_order"):
        worker = threading.Thread(target=order_in_another_worker)
        worker.start()
        # Meanwhile the liveness check answers, with the admin's session cookie too.
        assert alice_client.get(reverse("portal:healthz")).content == b"ok"
        worker.join(timeout=30)
        assert not worker.is_alive(), "the order request waited past its lock timeout"
    (answer,) = answers
    assert_busy_page(answer)
    assert not Order.objects.exists()
    assert_retry_makes_one_order(alice_client, token)
