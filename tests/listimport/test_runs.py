"""Import runs under a real broker's habits: redelivery while a task runs, a worker killed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portal.celery import app
from portal.policy import Actor
from tests.listimport.helpers import HEADER, csv_bytes
from tests.listimport.test_check import person
from tests.listimport.test_pages import Importer
from workplaces import tasks
from workplaces.listimport import service
from workplaces.listimport.service import cart_step
from workplaces.models import ImportRun, SetupDraft

pytestmark = pytest.mark.django_db

PEOPLE = [
    person(first_name=f"Person{chr(ord('a') + i)}", email=f"p{i}@example.com") for i in range(12)
]


class WorkerKilled(BaseException):
    """What SIGKILL looks like to the code: nothing after it runs, no except clause."""


@pytest.fixture
def importer(alice_client, trunk, django_capture_on_commit_callbacks) -> Importer:
    return Importer(alice_client, trunk, django_capture_on_commit_callbacks)


def adding_run(importer: Importer) -> ImportRun:
    """A checked run of 12 fault-free rows, handed to the cart step (whose task has not run)."""
    run = importer.upload(*PEOPLE)
    run.refresh_from_db()
    assert run.result["ok"] == 12
    service.start_cart(actor=Actor.for_admin(run.created_by), run=run, mode=service.ONLY_OK)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.ADDING
    return run


def killed_after(monkeypatch, rows: int) -> None:
    """The cart step's worker dies after ``rows`` rows are committed (chunks of one row)."""
    monkeypatch.setattr(cart_step, "CART_CHUNK", 1)
    real = cart_step.setup.put_many_in_cart
    done = []

    def put_many(**kwargs):
        if len(done) == rows:
            raise WorkerKilled
        results = real(**kwargs)
        done.append(1)
        return results

    monkeypatch.setattr(cart_step.setup, "put_many_in_cart", put_many)


def test_the_broker_never_redelivers_a_task_before_its_time_limit():
    app.loader.import_default_modules()
    limits = [task.time_limit or settings.CELERY_TASK_TIME_LIMIT for task in app.tasks.values()]
    assert max(limits) == settings.IMPORT_TASK_TIME_LIMIT
    assert app.conf.broker_transport_options["visibility_timeout"] > max(limits)


def test_a_second_delivery_during_a_live_claim_does_nothing(importer, monkeypatch):
    run = adding_run(importer)
    killed_after(monkeypatch, 5)
    with pytest.raises(WorkerKilled):
        service.run_cart(run_id=run.pk)  # the first delivery, still "running"
    monkeypatch.undo()
    with pytest.raises(service.Busy):
        service.run_cart(run_id=run.pk)  # the broker hands the same task to another worker
    run.refresh_from_db()
    assert run.status == ImportRun.Status.ADDING and run.cart_result == {}
    assert SetupDraft.objects.filter(import_run=run).count() == 5


def test_a_second_delivery_of_the_task_waits_instead_of_running(importer, monkeypatch):
    run = adding_run(importer)
    ImportRun.objects.filter(pk=run.pk).update(claimed_by="first", claimed_at=timezone.now())
    monkeypatch.setattr(tasks.add_import_to_cart, "max_retries", 0)
    result = tasks.add_import_to_cart.apply(args=(run.pk,))
    # Asked to retry later, which no retry is left for here: it gave up without running.
    assert result.state == "FAILURE"
    assert type(result.result).__name__ == "MaxRetriesExceededError"
    assert not SetupDraft.objects.exists()


def test_a_check_delivered_twice_reads_the_file_once(importer, alice, trunk):
    run = ImportRun.objects.create(
        customer=alice.customer,
        trunk=trunk,
        created_by=alice,
        file_name="liste.csv",
        upload=b"x",
    )
    ImportRun.objects.filter(pk=run.pk).update(claimed_by="first", claimed_at=timezone.now())
    with pytest.raises(service.Busy):
        service.run_check(run_id=run.pk)
    run.refresh_from_db()
    assert (run.status, bytes(run.upload)) == ("queued", b"x")


def test_after_a_worker_died_in_the_cart_step_the_retry_counts_every_row_of_this_import(
    importer, monkeypatch
):
    run = adding_run(importer)
    killed_after(monkeypatch, 5)
    with pytest.raises(WorkerKilled):
        service.run_cart(run_id=run.pk)
    monkeypatch.undo()
    later = timezone.now() + dt.timedelta(seconds=settings.IMPORT_TASK_TIME_LIMIT + 60)
    with time_machine.travel(later, tick=False):
        service.run_cart(run_id=run.pk)  # the claim is stale: this delivery takes over
    run.refresh_from_db()
    assert run.status == ImportRun.Status.ADDED
    assert (run.cart_result["added"], run.cart_result["rows"]) == (12, [])
    assert (run.claimed_by, run.claimed_at) == ("", None)
    assert SetupDraft.objects.filter(import_run=run, status="in_cart").count() == 12
    page = importer.page(run)
    assert "12 Arbeitsplätze liegen jetzt in Ihrem Warenkorb." in page
    assert "bereits im Warenkorb" not in page


def test_a_later_import_of_the_same_people_still_finds_them_in_the_cart(importer):
    first = adding_run(importer)
    service.run_cart(run_id=first.pk)
    again = importer.upload(*PEOPLE)
    again.refresh_from_db()
    assert (again.result["ok"], again.result["skipped"]) == (0, 12)


def test_the_sweep_hands_runs_whose_task_the_broker_lost_to_a_worker_again(importer):
    """Redis gone with the queued task (no persistence), or a worker that died holding it:
    found by bench/soak.py, a run stayed "Wird geprüft" or "Wird in den Warenkorb gelegt"
    for ever."""
    adding = adding_run(importer)  # its task never ran
    # An upload whose check task never ran (the on-commit hook is not run here).
    data = csv_bytes([HEADER, *PEOPLE[:3]])
    response = importer.client.post(
        importer.upload_url, {"file": SimpleUploadedFile("zweite.csv", data)}
    )
    queued = ImportRun.objects.get(code=response["Location"].rstrip("/").rsplit("/", 1)[1])
    assert queued.status == ImportRun.Status.QUEUED
    # A run whose task is merely on its way is left alone.
    assert tasks.sweep_import_runs() == 0
    later = timezone.now() + service.SWEEP_GRACE + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert tasks.sweep_import_runs() == 2  # in-process here: the tasks run at once
    adding.refresh_from_db()
    queued.refresh_from_db()
    assert (adding.status, adding.cart_result["added"]) == (ImportRun.Status.ADDED, 12)
    assert (queued.status, queued.done) == (ImportRun.Status.CHECKED, 3)


def test_the_sweep_leaves_a_run_alone_while_a_worker_holds_its_claim(importer):
    run = adding_run(importer)
    later = timezone.now() + service.SWEEP_GRACE + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        ImportRun.objects.filter(pk=run.pk).update(claimed_by="live", claimed_at=timezone.now())
        assert tasks.sweep_import_runs() == 0
    run.refresh_from_db()
    assert (run.status, run.claimed_by) == (ImportRun.Status.ADDING, "live")


def test_import_runs_are_swept_every_minute():
    assert app.conf.beat_schedule["sweep-import-runs"] == {
        "task": "workplaces.tasks.sweep_import_runs",
        "schedule": 60,
    }
