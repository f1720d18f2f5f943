"""Registrar jobs by the batch: a big order's thousands of workplaces reach the registrar in a
few tasks, each one registrar transaction on a kept connection, instead of one task, one
connection and one lock wait per workplace.

The rows are the same outbox rows as :mod:`.jobs` writes one by one (the sweep, the pages'
states and :func:`~.jobs.when_done` see no difference); only how they are written and carried
out differs. A batch claims its rows in one update, so a redelivered batch, or a single job's
task the sweep handed out meanwhile, carries out each row once; a row that is already done or
another task's is left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from portal import celery, logs, outbox
from provisioning.backends import E164, RegistrarUnavailable, get_backend
from provisioning.models import RegistrarJob
from provisioning.services.jobs import OUTBOX, carry_out

log = logs.get_logger(__name__)

#: Jobs one batch task carries out; a 5,000-workplace order is 20 tasks.
BATCH_SIZE = 250
BATCH_TASK = "provisioning.tasks.run_batch"


def queue_ensure_many(entries: Sequence[tuple[str, str | None, str]]) -> list[RegistrarJob]:
    """:func:`~.jobs.queue_ensure` for many ``(username, e164, ref)``: one insert, and on
    commit one task per :data:`BATCH_SIZE` rows."""
    for _username, e164, _ref in entries:
        if e164 and not E164.match(e164):
            raise ValueError("e164 must be a number in E.164 form, with '+'")
    connected = get_backend().connected
    done = {} if connected else {"status": RegistrarJob.Status.DONE, "done_at": timezone.now()}
    jobs = RegistrarJob.objects.bulk_create(
        RegistrarJob(
            kind=RegistrarJob.Kind.ENSURE, username=username, e164=e164 or "", ref=ref, **done
        )
        for username, e164, ref in entries
    )
    if connected:
        ids = [job.pk for job in jobs]
        transaction.on_commit(lambda: enqueue_batches(ids))
    return jobs


def enqueue_batches(job_ids: Sequence[int]) -> None:
    """Hand the rows to workers, :data:`BATCH_SIZE` a task. A broker outage is logged by
    :func:`portal.celery.enqueue`; the sweep hands the rows out one by one then."""
    for start in range(0, len(job_ids), BATCH_SIZE):
        celery.enqueue(BATCH_TASK, list(job_ids[start : start + BATCH_SIZE]))


def run_batch(job_ids: Sequence[int], *, claim: str) -> int:
    """Carry out the claimable rows of ``job_ids`` in one registrar transaction; how many.

    Raises :class:`portal.outbox.Deferred` after putting every claimed row back to pending
    when the registrar cannot be reached (nothing of the batch is written then), so the task
    can retry the batch.
    """
    jobs = OUTBOX.claim_many(list(job_ids), claim)
    if not jobs:
        return 0
    logs.bind_row(jobs[0])  # the request and order that wrote the batch (one order's jobs)
    backend = get_backend()
    names = [job.username for job in jobs] + [job.e164 for job in jobs if job.e164]
    try:
        with backend.transaction(names):
            # Under the usernames' locks: a newer job of a username decides alone.
            newest = dict(
                RegistrarJob.objects.filter(username__in={job.username for job in jobs})
                .values("username")
                .annotate(last=Max("pk"))
                .values_list("username", "last")
            )
            superseded = [job for job in jobs if newest[job.username] > job.pk]
            carried = [job for job in jobs if newest[job.username] == job.pk]
            for job in carried:
                carry_out(backend, job)
    except RegistrarUnavailable as exc:
        raise _defer_all(jobs, exc.reason, str(exc)) from None
    except Exception:
        log.exception("registrar_batch_error", jobs=len(jobs))
        raise _defer_all(jobs, RegistrarJob.Error.FAILED, "unexpected error") from None
    now = timezone.now()
    OUTBOX.finish_many(
        [job.pk for job in superseded], status=RegistrarJob.Status.SUPERSEDED, done_at=now
    )
    OUTBOX.finish_many(
        [job.pk for job in carried], status=RegistrarJob.Status.DONE, done_at=now, last_error=""
    )
    for job in superseded:
        log.info("registrar_job_superseded", **_fields(job))
    for job in carried:
        log.info("registrar_job_done", **_fields(job))
    _follow_up([job.pk for job in jobs])
    return len(jobs)


def _follow_up(job_ids: list[int]) -> None:
    """Enqueue each task that waits for one of these jobs once (see :func:`~.jobs._follow_up`:
    read after the rows are marked finished)."""
    waiting = (
        RegistrarJob.objects.filter(pk__in=job_ids)
        .exclude(then_task="")
        .values_list("then_task", "then_id")
        .order_by()  # the model's ordering would make each row distinct
        .distinct()
    )
    for task, then_id in sorted(waiting):
        celery.enqueue(task, then_id)


def _fields(job: RegistrarJob) -> dict:
    return {
        "registrar_job_id": job.pk,
        "kind": job.kind,
        "username": job.username,
        "attempts": job.attempts,
    }


def _defer_all(jobs: list[RegistrarJob], reason: str, message: str) -> outbox.Deferred:
    countdown = max(OUTBOX.defer(job, error=reason) for job in jobs)
    log.warning(
        "registrar_batch_deferred",
        jobs=len(jobs),
        reason=reason,
        error=message,
        retry_in_s=round(countdown),
    )
    return outbox.Deferred(reason, countdown)
