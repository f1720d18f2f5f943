from __future__ import annotations

from celery import shared_task

from workplaces import services


@shared_task
def expire_drafts() -> int:
    """Release the reservations of idle drafts. Idempotent: expired drafts are not live."""
    return services.expire_drafts()
