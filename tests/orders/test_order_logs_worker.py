"""With Redis and a real worker: the request's id travels in the task header into the worker,
from task to task, onto the messages and their lines."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notifications.models import Notification
from orders.models import Order
from orders.services import cart_of
from tests.conftest import wait_for
from tests.log_capture import log_lines  # noqa: F401 - fixture
from tests.notifications.conftest import (  # noqa: F401 - fixtures
    celery_worker,
    live_celery,
    redis_server,
    smtp_server,
    start_celery_worker,
    twilio_server,
)
from tests.wizard_helpers import complete_draft

pytestmark = pytest.mark.redis

SENT = Notification.Status.SENT


def test_the_request_id_reaches_the_workers_lines_of_every_task_it_causes(
    alice,
    alice_client,
    trunk,
    celery_worker,  # noqa: F811
    log_lines,  # noqa: F811 - after the worker: its start configures the logging afresh
):
    alice.email = "alice@demo-gmbh.de"
    alice.save()
    complete_draft(alice_client, trunk)
    response = alice_client.post(reverse("orders:place"), {"token": cart_of(alice).token})
    assert response.status_code == 302
    order = Order.objects.latest("pk")

    def settled() -> bool:
        rows = list(order.notifications.all())
        return len(rows) == 3 and all(n.status == SENT for n in rows)

    wait_for(settled, what="the order processed and its three messages sent")
    wait_for(lambda: len(log_lines.events("message_sent")) == 3, what="their log lines")

    request_id = response["X-Request-ID"]
    code = str(order.code)
    # Published by the request: each task_enqueued line names the task and the request.
    [enqueued] = log_lines.events("task_enqueued")[:1]
    assert enqueued["child_task_name"] == "orders.tasks.process_order"
    assert (enqueued["request_id"], enqueued["order_code"]) == (request_id, code)
    # Run by the worker: its own task id, with the request's id and the order's code.
    started = [line for line in log_lines.events("task_started") if line.get("task_id")]
    assert {line["task"] for line in started} >= {
        "orders.tasks.process_order",
        "notifications.tasks.deliver_batch",  # the order's messages, sent by one task
    }
    assert {(line["request_id"], line["order_code"]) for line in started} == {(request_id, code)}
    [completed] = log_lines.events("order_completed")
    sent = log_lines.events("message_sent")
    for line in [completed, *sent]:
        assert (line["request_id"], line["order_code"]) == (request_id, code)
        assert line["task_id"] != enqueued.get("task_id")
    # A delivery's task was published by the order's task: it names its parent.
    assert {line["parent_task_id"] for line in sent} == {completed["task_id"]}
    # Each line of the batch names its own message.
    assert sorted(line["message_id"] for line in sent) == sorted(
        order.notifications.values_list("pk", flat=True)
    )
    for row in order.notifications.all():
        assert (row.request_id, row.order_code) == (request_id, code)
