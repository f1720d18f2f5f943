from __future__ import annotations

from celery import signals

from notifications import mailer, services, sms
from portal import outbox
from portal.celery import app


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
