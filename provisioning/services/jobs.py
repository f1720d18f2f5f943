"""The outbox of registrar jobs.

Callers write a :class:`RegistrarJob` inside the transaction of their change
(:func:`queue_ensure`, :func:`queue_removal`); on commit its id goes to a worker, which claims
the row atomically, so a duplicate task does nothing. When the registrar cannot be reached
the row goes back to pending with a reason and a time for the next attempt (the project's
one backoff, :func:`portal.outbox.backoff`); the task retries, and :func:`sweep` hands out
rows whose retry got lost (claim, defer and sweep are :mod:`portal.outbox`'s). Only the
newest job of a username is carried out: an older one still waiting is superseded, so a late
"ensure" cannot bring back a removed subscriber.

What pages show of a job (:func:`job_state`) and who waits for one (:func:`when_done`) are
here too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy

from portal import celery, logs, outbox
from provisioning.backends import E164, RegistrarUnavailable, get_backend
from provisioning.models import RegistrarJob

log = logs.get_logger(__name__)

#: A pending row whose retry time is this far in the past is handed to a worker again.
RETRY_GRACE = dt.timedelta(seconds=60)

OUTBOX = outbox.Outbox(
    RegistrarJob,
    pending=RegistrarJob.Status.PENDING,
    running=RegistrarJob.Status.RUNNING,
    task="provisioning.tasks.run_job",
    retry_base_setting="PROVISIONING_RETRY_BASE_SECONDS",
    retry_max_setting="PROVISIONING_RETRY_MAX_SECONDS",
    grace=RETRY_GRACE,
    log_name="registrar_job",
)


def queue_ensure(*, username: str, e164: str | None, ref: str = "") -> RegistrarJob:
    """The registrar shall have ``username`` with the alias ``e164`` (written on commit)."""
    if e164 and not E164.match(e164):
        raise ValueError("e164 must be a number in E.164 form, with '+'")
    return _queue(kind=RegistrarJob.Kind.ENSURE, username=username, e164=e164 or "", ref=ref)


def queue_removal(*, username: str, ref: str = "") -> RegistrarJob:
    """The registrar shall forget ``username``: row, aliases and registered contacts."""
    return _queue(kind=RegistrarJob.Kind.REMOVE, username=username, e164="", ref=ref)


def _queue(*, kind: str, username: str, e164: str, ref: str) -> RegistrarJob:
    if not get_backend().connected:
        # Nothing to provision: the row records the change and is done at once.
        return RegistrarJob.objects.create(
            kind=kind,
            username=username,
            e164=e164,
            ref=ref,
            status=RegistrarJob.Status.DONE,
            done_at=timezone.now(),
        )
    job = RegistrarJob.objects.create(kind=kind, username=username, e164=e164, ref=ref)
    transaction.on_commit(lambda: enqueue(job.pk))
    return job


def enqueue(job_id: int) -> None:
    """Hand a row to a worker. A broker outage is logged, not raised: the sweep retries."""
    OUTBOX.enqueue(job_id)


def _finish(job: RegistrarJob, **fields) -> None:
    OUTBOX.finish(job, **fields)


def run_job(job_id: int, *, claim: str) -> bool:
    """Carry out one row. Returns False when there was nothing to do (done, or claimed).

    Raises :class:`portal.outbox.Deferred` after putting the row back to pending, so the task can
    retry with backoff.
    """
    job = OUTBOX.claim(job_id, claim)
    if job is None:
        return False
    backend = get_backend()
    try:
        with backend.transaction([job.username, *([job.e164] if job.e164 else [])]):
            # Under the username's lock: a newer job of this username decides alone.
            superseded = RegistrarJob.objects.filter(username=job.username, pk__gt=job.pk).exists()
            if not superseded:
                carry_out(backend, job)
    except RegistrarUnavailable as exc:
        raise _defer(job, exc.reason, str(exc)) from None
    except Exception:
        # A bug or a misconfiguration (e.g. the schema not loaded): logged, retried like an
        # outage, so the row does not stay "running" and shows its reason.
        log.exception("registrar_job_error", kind=job.kind, username=job.username)
        raise _defer(job, RegistrarJob.Error.FAILED, "unexpected error") from None
    if superseded:
        _finish(job, status=RegistrarJob.Status.SUPERSEDED, done_at=timezone.now())
    else:
        _finish(job, status=RegistrarJob.Status.DONE, done_at=timezone.now(), last_error="")
    log.info(
        "registrar_job_superseded" if superseded else "registrar_job_done",
        kind=job.kind,
        username=job.username,
        attempts=job.attempts,
    )
    # Whoever waited for it carries on (after a superseded one, it finds the newer job).
    _follow_up(job.pk)
    return True


def carry_out(backend, job: RegistrarJob) -> None:
    """The job's change on the registrar, inside the caller's ``backend.transaction()``."""
    if job.kind == RegistrarJob.Kind.ENSURE:
        backend.ensure_subscriber(username=job.username, e164=job.e164 or None)
    else:
        backend.remove_subscriber(username=job.username)


def _follow_up(job_id: int) -> None:
    """Enqueue the task that waits for this job (see :func:`when_done`), if any.

    Read after the row is marked finished: a :func:`when_done` that did not see it finished
    had set the task before, so one of the two always hands the waiting work on.
    """
    then = (
        RegistrarJob.objects.filter(pk=job_id)
        .exclude(then_task="")
        .values_list("then_task", "then_id")
        .first()
    )
    if then is not None:
        celery.enqueue(then[0], then[1])


def _defer(job: RegistrarJob, reason: str, message: str) -> outbox.Deferred:
    countdown = OUTBOX.defer(job, error=reason)
    log.warning(
        "registrar_job_deferred",
        kind=job.kind,
        username=job.username,
        attempts=job.attempts,
        reason=reason,
        error=message,
        retry_in_s=round(countdown),
    )
    return outbox.Deferred(reason, countdown)


def sweep(*, now: dt.datetime | None = None) -> int:
    """Hand stuck rows to a worker again: lost publishes and retries, broker outages, dead
    workers. Idempotent: a worker claims each row once."""
    return OUTBOX.sweep(now=now)


@dataclass(frozen=True)
class JobState:
    """The registrar state of one ``ref`` for a page: pending, retrying (with reason), done."""

    state: str
    kind: str
    reason: str = ""
    next_attempt_at: dt.datetime | None = None

    @property
    def label(self) -> str:
        return str(JOB_STATE_LABELS[self.state])


JOB_STATE_LABELS = {
    "pending": gettext_lazy("Wird zum SIP-Registrar übertragen"),
    "retrying": gettext_lazy("SIP-Registrar nicht erreichbar, neuer Versuch folgt"),
    "done": gettext_lazy("Beim SIP-Registrar eingetragen"),
}


def _latest_jobs(refs: Iterable[str]):
    """The newest job of each ref (one query)."""
    latest = RegistrarJob.objects.filter(ref__in=list(refs)).values("ref").annotate(last=Max("pk"))
    return RegistrarJob.objects.filter(pk__in=latest.values("last"))


def job_state(refs: Iterable[str]) -> dict[str, JobState]:
    """The newest job of each ref; refs without a job are left out."""
    states = {}
    for job in _latest_jobs(refs):
        if job.status in RegistrarJob.FINISHED:
            states[job.ref] = JobState("done", job.kind)
        elif job.last_error:
            states[job.ref] = JobState(
                "retrying", job.kind, str(job.get_last_error_display()), job.next_attempt_at
            )
        else:
            states[job.ref] = JobState("pending", job.kind)
    return states


def when_done(refs: Iterable[str], *, then_task: str, then_id: int) -> bool:
    """Whether the newest job of every ref is done (refs without a job count as done).

    For each that is not, ``then_task`` (a task name) is enqueued with ``then_id`` once it is
    done or superseded, so the caller can carry on then (and should ask again: a newer job
    may have come). A job finishing meanwhile either is seen done here or finds the task set.
    """
    waiting = (
        _latest_jobs(refs)
        .exclude(status__in=RegistrarJob.FINISHED)
        .update(then_task=then_task, then_id=then_id)
    )
    return waiting == 0


def waiting_for(*, then_task: str, then_id: int) -> bool:
    """Whether a job that :func:`when_done` set to carry on with ``then_task`` and ``then_id``
    is not finished yet: one query however many jobs there are. Its end runs the task again."""
    return (
        RegistrarJob.objects.filter(then_task=then_task, then_id=then_id)
        .exclude(status__in=RegistrarJob.FINISHED)
        .exists()
    )
