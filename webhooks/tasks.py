from __future__ import annotations

from portal import outbox
from portal.celery import app
from webhooks import delivery


@app.task(bind=True, acks_late=True, max_retries=20)
def deliver(self, delivery_id: int) -> None:
    """POST one webhook delivery. Idempotent on the row's status and claim; a repeat after a
    lost answer reaches the receiver under the same ``webhook-id``."""
    try:
        delivery.deliver(delivery_id, claim=self.request.id or "")
    except outbox.Deferred as exc:
        # In-process (no worker) a retry would run at once and hold up the request: the row
        # stays pending and the sweep hands it out when it is due; so after the last retry.
        if self.request.is_eager or self.request.retries >= self.max_retries:
            return
        raise self.retry(countdown=exc.countdown, exc=None) from None


@app.task
def sweep() -> int:
    """Re-enqueue deliveries that are due or stuck. Idempotent: each row is claimed once."""
    return delivery.sweep()
