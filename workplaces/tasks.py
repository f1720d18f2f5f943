from __future__ import annotations

from portal.celery import app
from workplaces.services import setup


@app.task
def expire_drafts() -> int:
    """Release the reservations of idle drafts. Idempotent: expired drafts are not live."""
    return setup.expire_drafts()
