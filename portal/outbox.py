"""What every outbox of the project shares: the row's bookkeeping, claim, finish, defer, sweep.

An outbox row (a message, a registrar job, later a webhook call) is written with the change
that causes it and handed to a worker on commit with its id. A task first claims its row with
one conditional update, so a duplicate task finds nothing to do; a row claimed by a worker
that died is free again once the task time limit has passed. A failure worth another try puts
the row back to pending with the time of its next attempt (:func:`backoff`), and the task
retries then; the beat's sweep hands out again what a lost publish, a lost retry or a dead
worker left behind.

Each outbox is an :class:`Outbox`: its model (with :class:`OutboxRow`'s fields), its pending
and running status values, the task that takes a row's id, and the settings of its backoff.
What a transient or a permanent failure is, and what happens when a row is done, stays with
the app that owns the outbox.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal import celery, logs, metrics

#: Rows one sweep hands out at most; the next sweep (a minute later) takes the rest.
SWEEP_LIMIT = 1000


class OutboxRow(models.Model):
    """The fields an outbox row needs besides its own ``status`` and ``last_error``.

    A model declares ``status`` with its choices and ``last_error`` (text or a code) itself;
    those differ from outbox to outbox.
    """

    attempts = models.PositiveSmallIntegerField(_("Versuche"), default=0)
    next_attempt_at = models.DateTimeField(_("Nächster Versuch"), null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("Angelegt"), auto_now_add=True)
    # The request and the order that wrote the row (bound in the log context then): the task
    # that processes it binds them again, so its lines lead back there (portal.logs).
    request_id = models.CharField(
        max_length=logs.REQUEST_ID_MAX,
        blank=True,
        editable=False,
        default=logs.current_request_id,
    )
    order_code = models.CharField(
        max_length=36, blank=True, editable=False, default=logs.current_order_code
    )

    class Meta:
        abstract = True


class Deferred(Exception):
    """The row went back to pending with its error; its task tries again in ``countdown``
    seconds (the outbox's backoff). ``reason`` is the error it was deferred with."""

    def __init__(self, reason: str, countdown: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.countdown = countdown


def backoff(attempts: int, *, base: float, cap: float) -> float:
    """Seconds to wait before the next attempt, after ``attempts`` failed ones (1 or more).

    Exponential and capped: the ceiling is ``base * 2 ** (attempts - 1)``, at most ``cap``.
    The wait is drawn uniformly from the upper half of that ceiling ("equal jitter"), not
    from all of it ("full jitter"): retries of many rows spread out, and none comes back at
    once to a server that has just failed.
    """
    ceiling = min(cap, base * 2 ** max(attempts - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


def stale_before(now: dt.datetime) -> dt.datetime:
    """A row running since before this has lost its worker: no task runs that long."""
    return now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)


def _claimable(claim: str, *, pending: str, running: str, now: dt.datetime) -> Q:
    return Q(status=pending) | Q(
        Q(claimed_by=claim) | Q(claimed_at__lt=stale_before(now)), status=running
    )


def claim_row[M: models.Model](
    model: type[M], pk: int, *, claim: str, pending: str, running: str
) -> M | None:
    """The row, now ``running`` under ``claim`` with one more attempt; None if not claimable.

    Claimable: ``pending``, or ``running`` under the same claim (the broker redelivered this
    task), or ``running`` for longer than a task may take (its worker died).
    """
    rows = claim_rows(model, [pk], claim=claim, pending=pending, running=running)
    return rows[0] if rows else None


def claim_rows[M: models.Model](
    model: type[M], pks: list[int], *, claim: str, pending: str, running: str
) -> list[M]:
    """:func:`claim_row` for many rows in one update: the claimable ones, by pk; the rest
    (done, or another task's) are left out."""
    now = timezone.now()
    claimable = _claimable(claim, pending=pending, running=running, now=now)
    rows = model.objects.filter(claimable, pk__in=pks)
    values = {"status": running, "claimed_by": claim, "claimed_at": now}
    values["attempts"] = F("attempts") + 1
    if not connections[rows.db].features.can_return_rows_from_update:
        rows.update(**values)
        claimed = model.objects.filter(pk__in=pks, status=running, claimed_by=claim)
        return list(claimed.order_by("pk"))
    # One query: UPDATE ... RETURNING the claimed rows (PostgreSQL, SQLite).
    fields = model._meta.concrete_fields
    returned = rows._update(
        [(model._meta.get_field(name), model, value) for name, value in values.items()],
        returning_fields=fields,
    )
    names = [field.attname for field in fields]
    return sorted((model.from_db(rows.db, names, row) for row in returned or ()), key=_pk)


def _pk(row: models.Model) -> int:
    return row.pk


@dataclass(frozen=True)
class Outbox[M: OutboxRow]:
    """One outbox: its model, its status values, its task, its backoff settings.

    ``task`` is the name of the task that takes a row's id; ``retry_base_setting`` and
    ``retry_max_setting`` name the settings of :func:`backoff` (read at each use).
    ``grace``: a pending row is handed out again by the sweep once it is this far past its
    next attempt (or its creation, if it has never failed), so a row whose task is merely
    on its way is left alone.
    """

    model: type[M]
    pending: str
    running: str
    task: str
    retry_base_setting: str
    retry_max_setting: str
    grace: dt.timedelta
    #: Its rows' id on log lines is ``<log_name>_id`` (default: the model's name).
    log_name: str = ""

    def enqueue(self, pk: int) -> None:
        """Hand a row to a worker. A broker outage is logged, not raised: the sweep retries."""
        celery.enqueue(self.task, pk)

    def claim(self, pk: int, claim: str) -> M | None:
        """See :func:`claim_row`. The rest of the task logs with the row's id and the request
        and order that wrote it."""
        row = claim_row(self.model, pk, claim=claim, pending=self.pending, running=self.running)
        if row is not None:
            logs.bind_row(row, **{f"{self.log_name or self.kind}_id": row.pk})
        return row

    def claim_many(self, pks: list[int], claim: str) -> list[M]:
        """:meth:`claim` for a batch of rows in one update (:func:`claim_rows`); the rows
        are not bound to the log context, each is as the caller processes it."""
        if not pks:
            return []
        return claim_rows(self.model, pks, claim=claim, pending=self.pending, running=self.running)

    def finish_many(self, pks: list[int], **fields: object) -> None:
        """:meth:`finish` for a batch of rows in one update."""
        if not pks:
            return
        fields.setdefault("claimed_by", "")
        self.model.objects.filter(pk__in=pks).update(**fields)
        outcome = "retry" if fields["status"] == self.pending else str(fields["status"])
        metrics.count_on_commit(metrics.OUTBOX_RESULTS, len(pks), outbox=self.kind, outcome=outcome)

    def finish(self, row: M, **fields: object) -> None:
        """Write ``fields`` (a status and what goes with it) and release the claim."""
        fields.setdefault("claimed_by", "")
        self.model.objects.filter(pk=row.pk).update(**fields)
        outcome = "retry" if fields["status"] == self.pending else str(fields["status"])
        metrics.count_on_commit(metrics.OUTBOX_RESULTS, outbox=self.kind, outcome=outcome)

    @property
    def kind(self) -> str:
        return self.model._meta.model_name

    def backoff(self, attempts: int) -> float:
        return backoff(
            attempts,
            base=getattr(settings, self.retry_base_setting),
            cap=getattr(settings, self.retry_max_setting),
        )

    def defer(self, row: M, *, error: str) -> float:
        """Back to pending with ``error`` and the time of the next attempt; its countdown."""
        countdown = self.backoff(row.attempts)
        self.finish(
            row,
            status=self.pending,
            last_error=error,
            next_attempt_at=timezone.now() + dt.timedelta(seconds=countdown),
        )
        return countdown

    def stuck(self, *, now: dt.datetime) -> models.QuerySet[M]:
        """Rows no task will take on its own: pending and past due by ``grace`` (a lost
        publish or retry), or running since before a task's time limit (a dead worker)."""
        due = now - self.grace
        return self.model.objects.filter(
            Q(
                Q(next_attempt_at__isnull=True, created_at__lt=due) | Q(next_attempt_at__lt=due),
                status=self.pending,
            )
            | Q(status=self.running, claimed_at__lt=stale_before(now))
        )

    def sweep(self, *, now: dt.datetime | None = None) -> int:
        """Hand the stuck rows to a worker again (oldest first); how many."""
        stuck = self.stuck(now=now or timezone.now()).order_by("pk").values_list("pk", flat=True)
        ids = list(stuck[:SWEEP_LIMIT])
        for pk in ids:
            self.enqueue(pk)
        return len(ids)
