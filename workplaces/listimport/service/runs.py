"""An import run's lifecycle: why it failed, the claim one execution holds on it, its progress
and outcome written under that claim, a task handed to the broker, and the purge of old runs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from portal import celery
from workplaces.models import ImportRun

#: Why a run failed (the page says it in words).
NOT_STARTED = "not_started"
CRASHED = "crashed"
#: The file cannot be imported; ``ImportRun.failure_message`` says why.
REFUSED = "refused"


class Busy(Exception):
    """Another task holds the run's claim and may still be working on it: try again later."""


def _stale_before(now: dt.datetime) -> dt.datetime:
    # By then the task's hard time limit has killed whoever held the claim.
    return now - dt.timedelta(seconds=settings.IMPORT_TASK_TIME_LIMIT + 30)


def claim_run(run_id: int, statuses: Sequence[str], **changes) -> str | None:
    """Claim the run for this execution with one conditional update; the claim, or None.

    Claimable: in one of ``statuses`` and not claimed, or claimed longer ago than a task may
    run (its worker died). :class:`Busy` when another execution holds a live claim: a second
    delivery of the same task (same task id) must not run beside the first.
    """
    claim = uuid.uuid4().hex
    now = timezone.now()
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=_stale_before(now))
    runs = ImportRun.objects.filter(pk=run_id, status__in=statuses)
    if runs.filter(free).update(claimed_by=claim, claimed_at=now, **changes):
        return claim
    if runs.exists():
        raise Busy(run_id)
    return None


def _release(run_id: int, claim: str, **changes) -> int:
    """Write the run's outcome and free it, if this execution still holds the claim."""
    return ImportRun.objects.filter(pk=run_id, claimed_by=claim).update(
        claimed_by="", claimed_at=None, updated_at=timezone.now(), **changes
    )


def purge_runs(*, now: dt.datetime | None = None) -> int:
    """Delete runs older than ``ImportRun.KEEP``: they hold people's data for no one."""
    cutoff = (now or timezone.now()) - ImportRun.KEEP
    deleted, _counts = ImportRun.objects.filter(created_at__lt=cutoff).delete()
    return deleted


#: A run waiting this long for its task without a live claim has lost it: the broker lost
#: the message (Redis gone without persistence) or the worker holding it died.
SWEEP_GRACE = dt.timedelta(minutes=2)
#: The task that takes a run on from each status it can wait in.
TASK_OF = {
    ImportRun.Status.QUEUED: "workplaces.tasks.check_import",
    ImportRun.Status.CHECKING: "workplaces.tasks.check_import",
    ImportRun.Status.ADDING: "workplaces.tasks.add_import_to_cart",
}


def sweep_runs(*, now: dt.datetime | None = None) -> int:
    """Hand runs whose task was lost to a worker again; how many. The claim keeps a task
    that was only slow from running beside the new one."""
    now = now or timezone.now()
    lost = ImportRun.objects.filter(status__in=TASK_OF, updated_at__lt=now - SWEEP_GRACE).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=_stale_before(now))
    )
    runs = list(lost.order_by("pk").values_list("pk", "status"))
    for pk, status in runs:
        _enqueue(TASK_OF[status], pk)
    return len(runs)


def _enqueue(task: str, run_id: int) -> None:
    if not celery.enqueue(task, run_id):
        ImportRun.objects.filter(pk=run_id, status__in=ImportRun.WORKING).update(
            status=ImportRun.Status.FAILED, failure=NOT_STARTED
        )


def _progress(run_id: int, claim: str) -> Callable[[int], None]:
    def write(done: int) -> None:
        ImportRun.objects.filter(pk=run_id, claimed_by=claim).update(
            done=done, updated_at=timezone.now()
        )

    return write
