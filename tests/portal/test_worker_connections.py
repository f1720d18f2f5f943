"""A Celery worker keeps its database connection from one task to the next (Celery alone
closes it around every task), and treats it as Django treats a request's."""

from __future__ import annotations

import time

import pytest
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection

from portal.celery import _connections_as_for_a_request, app


@pytest.fixture
def task():
    app.loader.import_default_modules()
    return app.tasks["notifications.tasks.deliver"]


@pytest.mark.django_db(transaction=True)
def test_tasks_one_after_another_share_the_connection(task, monkeypatch):
    fixup = DjangoWorkerFixup(app)
    connection.ensure_connection()
    kept = connection.connection
    monkeypatch.setattr(connection, "close_at", time.monotonic() + 60)  # CONN_MAX_AGE=60
    for _ in range(3):
        fixup.on_task_prerun(sender=task)
        _connections_as_for_a_request(sender=task)
        connection.ensure_connection()
        fixup.on_task_postrun(sender=task)
    assert connection.connection is kept


@pytest.mark.django_db(transaction=True)
def test_a_connection_past_its_age_is_closed_before_the_next_task(task, monkeypatch):
    connection.ensure_connection()
    monkeypatch.setattr(connection, "close_at", time.monotonic() - 1)
    _connections_as_for_a_request(sender=task)
    assert connection.connection is None


@pytest.mark.django_db
def test_an_eager_task_leaves_its_callers_transaction_alone(task, monkeypatch):
    connection.ensure_connection()
    kept = connection.connection
    monkeypatch.setattr(task.request, "is_eager", True, raising=False)
    _connections_as_for_a_request(sender=task)  # inside the test's transaction
    assert connection.connection is kept
