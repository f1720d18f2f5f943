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
    try:
        services.run_job(job_id, claim=self.request.id or "")
    except outbox.Deferred as exc:
        # In-process (no worker) a retry would run at once and block the request; after the
        # last retry the row stays pending too. The sweep hands it out when it is due.
        if self.request.is_eager or self.request.retries >= self.max_retries:
            return
        raise self.retry(countdown=exc.countdown, exc=None) from None


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
