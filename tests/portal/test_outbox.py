"""The one outbox base: the backoff, and claim, finish, defer and sweep on every outbox model."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.utils import timezone

from notifications import services as notification_services
from notifications.models import Notification
from notifications.tasks import deliver
from portal import outbox
from portal.celery import app
from provisioning import services as provisioning_services
from provisioning.models import RegistrarJob
from provisioning.tasks import run_job

#: Ids the sweep handed out, by the recording task below.
HANDED_OUT: list[int] = []


@app.task(name="tests.portal.test_outbox.record")
def record(pk: int) -> None:
    HANDED_OUT.append(pk)


def new_notification(**fields) -> Notification:
    return Notification.objects.create(
        kind=Notification.Kind.WELCOME,
        channel=Notification.Channel.EMAIL,
        recipient="joerg@example.com",
        **fields,
    )


def new_job(**fields) -> RegistrarJob:
    return RegistrarJob.objects.create(kind=RegistrarJob.Kind.ENSURE, username="anna", **fields)


@dataclasses.dataclass(frozen=True)
class Case:
    """An outbox of the project, its row factory, a failure as its ``last_error`` holds it,
    its finished status and the prefix of its backoff settings."""

    box: outbox.Outbox
    new_row: object
    error: str
    finished: str
    settings: str


OUTBOXES = {
    "messages": Case(
        notification_services.OUTBOX,
        new_notification,
        "SMTPServerDisconnected: gone",
        Notification.Status.SENT,
        "NOTIFICATION_RETRY",
    ),
    "registrar jobs": Case(
        provisioning_services.OUTBOX,
        new_job,
        RegistrarJob.Error.UNREACHABLE,
        RegistrarJob.Status.DONE,
        "PROVISIONING_RETRY",
    ),
}


@pytest.fixture(params=sorted(OUTBOXES))
def case(request, db):
    return OUTBOXES[request.param]


@pytest.fixture
def handed_out():
    HANDED_OUT.clear()
    yield HANDED_OUT
    HANDED_OUT.clear()


def stale(settings) -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 31)


# --- the backoff ---------------------------------------------------------------------------


def test_the_backoff_waits_within_the_upper_half_of_its_ceiling():
    for attempts in range(1, 6):
        ceiling = 10 * 2 ** (attempts - 1)
        waits = [outbox.backoff(attempts, base=10, cap=1000) for _ in range(200)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        # Spread over the whole upper half, not one fixed wait.
        assert min(waits) < ceiling * 0.6 and max(waits) > ceiling * 0.9


def test_the_backoff_doubles_with_each_attempt_until_its_cap():
    # The ceilings of attempts 1 to 11 with base 10 and cap 300: 10, 20, 40, 80, 160, 300, ...
    ceilings = [10, 20, 40, 80, 160] + [300] * 6
    for attempts, ceiling in enumerate(ceilings, start=1):
        waits = [outbox.backoff(attempts, base=10, cap=300) for _ in range(50)]
        assert ceiling / 2 <= min(waits) and max(waits) <= ceiling, attempts


def test_the_first_attempt_waits_about_the_base():
    assert 0.5 <= outbox.backoff(1, base=1, cap=300) <= 1
    assert 0.5 <= outbox.backoff(0, base=1, cap=300) <= 1


def test_each_outbox_reads_its_own_backoff_settings(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS, settings.NOTIFICATION_RETRY_MAX_SECONDS = 1, 2
    settings.PROVISIONING_RETRY_BASE_SECONDS, settings.PROVISIONING_RETRY_MAX_SECONDS = 100, 400

    assert 1 <= notification_services.OUTBOX.backoff(5) <= 2
    assert 200 <= provisioning_services.OUTBOX.backoff(5) <= 400


# --- claim, finish, defer ------------------------------------------------------------------


def test_a_row_is_claimed_once(case):
    box, new_row = case.box, case.new_row
    row = new_row()

    claimed = box.claim(row.pk, "task-1")

    assert (claimed.status, claimed.claimed_by, claimed.attempts) == (box.running, "task-1", 1)
    assert claimed.claimed_at is not None
    assert box.claim(row.pk, "task-2") is None
    row.refresh_from_db()
    assert (row.claimed_by, row.attempts) == ("task-1", 1)


def test_the_same_task_delivered_again_takes_its_claim_back(case):
    box, new_row = case.box, case.new_row
    row = new_row()
    box.claim(row.pk, "task-1")

    again = box.claim(row.pk, "task-1")

    assert (again.status, again.claimed_by, again.attempts) == (box.running, "task-1", 2)


def test_a_claim_older_than_a_task_may_run_is_taken_over(case, settings):
    box, new_row = case.box, case.new_row
    row = new_row(status=box.running, claimed_by="dead-worker", claimed_at=stale(settings))

    taken = box.claim(row.pk, "task-2")

    assert (taken.status, taken.claimed_by, taken.attempts) == (box.running, "task-2", 1)


def test_a_finished_row_is_not_claimed_again(case):
    box, new_row = case.box, case.new_row
    row = new_row()
    box.finish(box.claim(row.pk, "task-1"), status=case.finished)

    row.refresh_from_db()
    assert row.claimed_by == ""
    assert box.claim(row.pk, "task-2") is None


def test_defer_puts_the_row_back_with_its_error_and_next_attempt(case, settings):
    box, new_row, error, prefix = case.box, case.new_row, case.error, case.settings
    setattr(settings, f"{prefix}_BASE_SECONDS", 40)
    setattr(settings, f"{prefix}_MAX_SECONDS", 300)
    row = new_row()
    box.claim(row.pk, "task-1")
    box.claim(row.pk, "task-1")  # a second attempt: the ceiling is 80 s
    claimed = type(row).objects.get(pk=row.pk)
    before = timezone.now()

    countdown = box.defer(claimed, error=error)

    row.refresh_from_db()
    assert 40 <= countdown <= 80
    assert (row.status, row.last_error, row.claimed_by, row.attempts) == (
        box.pending,
        error,
        "",
        2,
    )
    waited = (row.next_attempt_at - before).total_seconds()
    assert countdown - 1 <= waited <= countdown + 1


# --- the sweep -----------------------------------------------------------------------------


def test_the_sweep_hands_out_lost_and_stale_rows_and_not_fresh_ones(case, settings, handed_out):
    box, new_row, error = case.box, case.new_row, case.error
    box = dataclasses.replace(box, task=record.name)
    now = timezone.now()
    old = now - box.grace - dt.timedelta(seconds=1)
    never_handed_out = new_row()
    retry_lost = new_row(attempts=1, last_error=error, next_attempt_at=old)
    worker_died = new_row(status=box.running, claimed_by="dead", claimed_at=stale(settings))
    fresh = new_row()
    waiting = new_row(attempts=1, last_error=error, next_attempt_at=now + dt.timedelta(seconds=30))
    just_due = new_row(attempts=1, last_error=error, next_attempt_at=now - dt.timedelta(seconds=5))
    running = new_row(status=box.running, claimed_by="alive", claimed_at=now)
    type(fresh).objects.filter(
        pk__in=[never_handed_out.pk, retry_lost.pk, worker_died.pk, waiting.pk, just_due.pk]
    ).update(created_at=old)

    assert box.sweep(now=now) == 3

    assert handed_out == [never_handed_out.pk, retry_lost.pk, worker_died.pk]
    assert fresh.pk not in handed_out and running.pk not in handed_out


def test_the_sweep_leaves_finished_rows(case, handed_out):
    box, new_row = case.box, case.new_row
    box = dataclasses.replace(box, task=record.name)
    row = new_row()
    box.finish(box.claim(row.pk, "task-1"), status=case.finished)
    later = timezone.now() + dt.timedelta(hours=1)

    assert box.sweep(now=later) == 0
    assert handed_out == []


def test_each_outbox_hands_its_rows_to_its_own_task():
    assert notification_services.OUTBOX.task == deliver.name
    assert provisioning_services.OUTBOX.task == run_job.name
