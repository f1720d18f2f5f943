from __future__ import annotations

import logging

from portal import metrics, outbox
from portal.celery import app
from provisioning import services
from provisioning.backends import RegistrarUnavailable

log = logging.getLogger(__name__)


@app.task(bind=True, acks_late=True, max_retries=10)
def run_job(self, job_id: int) -> None:
    """Carry out one registrar job. Idempotent on the row's status and claim."""
    _retrying(self, services.run_job, job_id)


@app.task(bind=True, acks_late=True, max_retries=10)
def run_batch(self, job_ids: list[int]) -> None:
    """Carry out a batch of registrar jobs. Idempotent: each row is claimed once."""
    _retrying(self, services.run_batch, job_ids)


def _retrying(task, run, ids) -> None:
    """``run(ids, claim=...)``, retried with the outbox's backoff when it was deferred.

    In-process (no worker) a retry would run at once and block the request; after the last
    retry the rows stay pending too. The sweep hands them out when they are due.
    """
    try:
        run(ids, claim=task.request.id or "")
    except outbox.Deferred as exc:
        if task.request.is_eager or task.request.retries >= task.max_retries:
            return
        raise task.retry(countdown=exc.countdown, exc=None) from None


@app.task
def sweep() -> int:
    """Re-enqueue registrar jobs that are due or stuck. Idempotent: each row is claimed once."""
    return services.sweep()


@app.task
def check_registrar() -> int | None:
    """The hourly drift check: logs a summary, repairs nothing. Returns the differences."""
    expected = services.expected_subscribers()
    if expected is None:
        log.info("registrar check: PROVISIONING_EXPECTED is not set, nothing to compare")
        return None
    try:
        report = services.check(expected)
    except RegistrarUnavailable as exc:
        log.warning("registrar check: registrar unavailable: %s", exc)
        return None
    if report.differences:
        log.warning(
            "registrar check: %s difference(s) %s; run manage.py provisioning_check",
            len(report.differences),
            report.counts(),
        )
    else:
        log.info("registrar check: %s subscribers, no differences", len(expected))
    metrics.REGISTRAR_DRIFT.set(len(report.differences))
    return len(report.differences)
