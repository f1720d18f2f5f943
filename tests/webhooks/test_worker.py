"""A delivery through a real Celery worker on Redis: the task's retry, not the sweep, brings
the event to the receiver again, under the same id."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.conftest import wait_for
from tests.notifications.conftest import wait_idle
from tests.webhooks.conftest import expected_signature
from webhooks import services
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.redis

DELIVER = "webhooks.tasks.deliver"


def test_a_worker_retries_a_server_error_with_backoff_under_the_same_id(
    live_celery, redis_server, celery_worker, receiver, endpoint_and_secret, demo_customer, settings
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.2
    settings.WEBHOOK_RETRY_MAX_SECONDS = 1
    _endpoint, secret = endpoint_and_secret
    receiver.answers = [503, 500]
    with transaction.atomic():
        (row,) = services.queue_event(
            customer_id=demo_customer.pk, event_type="order.status_changed", data={"n": 1}
        )

    delivered = wait_for(
        lambda: WebhookDelivery.objects.filter(pk=row.pk, status="delivered").first(),
        what="the event delivered",
    )
    wait_idle(redis_server)
    assert (delivered.attempts, delivered.last_status_code) == (3, 200)
    assert len(receiver.received) == 3
    assert {r.headers["webhook-id"] for r in receiver.received} == {row.event_id}
    for received in receiver.received:
        assert received.headers["webhook-signature"] == expected_signature(secret, received)
    published = live_celery.published.of(DELIVER)
    assert [m["headers"]["retries"] for m in published] == [0, 1, 2]
    assert all(list(m["body"][0]) == [row.pk] for m in published)
