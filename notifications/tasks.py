from __future__ import annotations

import random

from django.conf import settings

from notifications import services
from portal.celery import app


def backoff(retries: int) -> float:
    """Full jitter, capped well below the broker's visibility timeout."""
    cap = min(
        settings.NOTIFICATION_RETRY_MAX_SECONDS,
        settings.NOTIFICATION_RETRY_BASE_SECONDS * 2**retries,
    )
    return random.uniform(cap / 2, cap)


@app.task(bind=True, acks_late=True, max_retries=8)
def deliver(self, notification_id: int) -> None:
    """Send one outbox row. Idempotent on the row's status and claim: sent rows are skipped."""
    try:
        services.deliver(notification_id, claim=self.request.id or "")
    except services.TransientError as exc:
        if self.request.retries >= self.max_retries:
            services.give_up(notification_id, str(exc))
            return
        raise self.retry(countdown=backoff(self.request.retries), exc=None) from None


@app.task
def sweep() -> int:
    """Re-enqueue rows that are stuck. Idempotent: delivery claims each row once."""
    return services.sweep()
