from __future__ import annotations

from celery import signals

from notifications import mailer, services, sms
from portal import logs, outbox
from portal.celery import app

log = logs.get_logger(__name__)


@app.task(bind=True, acks_late=True, max_retries=8)
def deliver(self, notification_id: int) -> None:
    """Send one outbox row. Idempotent on the row's status and claim: sent rows are skipped."""
    try:
        services.deliver(notification_id, claim=self.request.id or "")
    except outbox.Deferred as exc:
        if self.request.retries >= self.max_retries:
            services.give_up(notification_id, str(exc))
            return
        # When the row says: the backoff of the outbox (NOTIFICATION_RETRY_*).
        raise self.retry(countdown=exc.countdown, exc=None) from None


@app.task(bind=True, acks_late=True)
def deliver_batch(self, notification_ids: list[int]) -> None:
    """Send rows written together (an order's messages). Idempotent like :func:`deliver`:
    each row is claimed once. A deferred row goes on as the first retry of its own
    :func:`deliver` task, due when the row says, as if it had had a task of its own."""
    for notification_id, exc in services.deliver_many(
        notification_ids, claim=self.request.id or ""
    ):
        try:
            deliver.apply_async((notification_id,), countdown=exc.countdown, retries=1)
        except Exception as error:  # the broker is down: the sweep hands the row out
            log.warning(
                "task_enqueue_failed",
                task=deliver.name,
                task_args=[notification_id],
                error=str(error),
            )


@app.task
def sweep() -> int:
    """Re-enqueue rows that are stuck. Idempotent: delivery claims each row once."""
    return services.sweep()


@signals.worker_shutdown.connect(dispatch_uid="notifications-close-connections")
@signals.worker_process_shutdown.connect(dispatch_uid="notifications-close-connections")
def _close_connections(**kwargs: object) -> None:
    """The SMTP connections and Twilio clients kept from one message to the next."""
    mailer.close_all()
    sms.TwilioSmsBackend.close_all()
