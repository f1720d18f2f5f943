"""What every outbox of the project shares: claiming a row for exactly one task.

An outbox row (a message, a registrar job) is written with the change that causes it and
handed to a worker on commit with its id. A task first claims its row with one conditional
update, so a duplicate task finds nothing to do; a row claimed by a worker that died is free
again once the task time limit has passed.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


def claim_row[M: models.Model](
    model: type[M], pk: int, *, claim: str, pending: str, running: str
) -> M | None:
    """The row, now ``running`` under ``claim`` with one more attempt; None if not claimable.

    Claimable: ``pending``, or ``running`` under the same claim (the broker redelivered this
    task), or ``running`` for longer than a task may take (its worker died).
    """
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)
    claimable = Q(status=pending) | Q(Q(claimed_by=claim) | Q(claimed_at__lt=stale), status=running)
    claimed = model.objects.filter(claimable, pk=pk).update(
        status=running, claimed_by=claim, claimed_at=now, attempts=F("attempts") + 1
    )
    return model.objects.get(pk=pk) if claimed else None
