from __future__ import annotations

from api import idempotency
from portal.celery import app


@app.task
def purge_idempotency_keys() -> int:
    """Delete the Idempotency-Keys past their hours. Idempotent: a deleted key stays deleted."""
    return idempotency.purge_idempotency_keys()
