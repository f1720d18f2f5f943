"""A whole company at once: placing and processing cost the same number of queries for 3 and
for 30 lines, and running a step twice (a redelivered task, a second worker) makes nothing
twice: no workplace, login, registrar job, registrar write or message."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Notification
from orders import services as orders
from orders.models import Order, OrderItem
from portal.models import User, UsernameClaim
from portal.policy import Actor
from provisioning import services as provisioning
from provisioning.models import RegistrarJob
from tests.orders.test_processing_queries import (
    fill_cart,
    registrar_waits,  # noqa: F401 - a fixture
)
from workplaces.models import PERSON_FIELDS, SetupDraft, Workplace


def place_queries(admin, trunk, size: int, stem: str) -> tuple[Order, int]:
    fill_cart(admin, trunk, size, stem)
    token = orders.cart_of(admin).token
    with CaptureQueriesContext(connection) as queries:
        order = orders.place_order(actor=Actor.for_admin(admin), token=token)
    return order, len(queries)


def process_queries(order: Order) -> int:
    with CaptureQueriesContext(connection) as queries:
        orders.process_order(order.pk)
    assert Order.objects.get(pk=order.pk).status == Order.Status.COMPLETED
    return len(queries)


@pytest.fixture
def roomy_trunk(trunk):
    trunk.workplace_quota = 100
    trunk.save(update_fields=["workplace_quota"])
    return trunk


def test_placing_costs_the_same_for_3_and_30_lines(alice, roomy_trunk):
    _small_order, small = place_queries(alice, roomy_trunk, 3, "klein")
    big_order, big = place_queries(alice, roomy_trunk, 30, "gross")
    assert big == small
    assert big_order.items.count() == 30
    assert Workplace.objects.filter(status=Workplace.Status.PENDING).count() == 33
    # The drafts gave their names to the workplaces: one claim each, held by the workplace.
    assert not UsernameClaim.objects.filter(draft__isnull=False).exists()
    assert UsernameClaim.objects.filter(workplace__isnull=False).count() == 33
    assert SetupDraft.objects.filter(status=SetupDraft.Status.ORDERED).count() == 33


def test_a_whole_cart_is_ordered_as_one_line_at_a_time_would_be(alice, roomy_trunk, packages):
    """The workplaces and items copied in the database carry what each draft held, in the
    cart's order, priced per package; every workplace its own code and its name's claim."""
    fill_cart(alice, roomy_trunk, 3, "kopie")
    chosen = [None, packages["konferenz-plus"], packages["konferenz-premium"]]
    drafts = list(SetupDraft.objects.order_by("created_at", "pk"))
    for draft, package in zip(drafts, chosen, strict=True):
        SetupDraft.objects.filter(pk=draft.pk).update(package=package, city=f"Ort {draft.pk}")
    drafts = list(SetupDraft.objects.order_by("created_at", "pk"))
    order = orders.place_order(actor=Actor.for_admin(alice), token=orders.cart_of(alice).token)

    items = list(order.items.select_related("workplace").order_by("pk"))
    assert [i.workplace.username for i in items] == [d.username for d in drafts]
    for item, draft, package in zip(items, drafts, chosen, strict=True):
        workplace = item.workplace
        for name in [*PERSON_FIELDS, "username", "number_id", "package_id", "trunk_id"]:
            assert getattr(workplace, name) == getattr(draft, name), name
        assert workplace.status == Workplace.Status.PENDING
        assert workplace.created_by == alice
        assert (item.kind, item.package) == (OrderItem.Kind.NEW_WORKPLACE, package)
        assert item.workplace_net == Decimal("6.90")
        assert item.package_net == (package.monthly_net if package else Decimal("0.00"))
        assert UsernameClaim.objects.get(name=draft.username).workplace == workplace
    assert len({i.workplace.code for i in items}) == 3
    assert order.monthly_net == Decimal("6.90") * 3 + Decimal("9.90") + Decimal("14.90")
    assert Order.objects.get(pk=order.pk).monthly_net == order.monthly_net


def test_placing_a_whole_cart_again_makes_nothing_twice(alice, roomy_trunk):
    """A replayed "bestellen" (same cart token) gets the first order and creates nothing."""
    order, _ = place_queries(alice, roomy_trunk, 30, "nochmal")
    token = order.submission
    again = orders.place_order(actor=Actor.for_admin(alice), token=token)
    assert again == order
    assert Order.objects.count() == 1
    assert OrderItem.objects.count() == 30
    assert Workplace.objects.count() == 30
    assert UsernameClaim.objects.filter(workplace__isnull=False).count() == 30


def test_processing_costs_the_same_for_3_and_30_lines(alice, roomy_trunk):
    alice.email = "alice@example.com"
    alice.save(update_fields=["email"])
    small_order, _ = place_queries(alice, roomy_trunk, 3, "klein")
    big_order, _ = place_queries(alice, roomy_trunk, 30, "gross")
    assert process_queries(big_order) == process_queries(small_order)
    # Welcome and password message per workplace, the Auftragsinformation once.
    assert big_order.notifications.count() == 2 * 30 + 1
    assert Workplace.objects.filter(status=Workplace.Status.ACTIVE).count() == 33


@pytest.mark.usefixtures("registrar_waits")
def test_an_order_processed_again_and_again_makes_nothing_twice(alice, roomy_trunk):
    """Redelivered while it waits for the registrar, and after: each thing exists once."""
    order, _ = place_queries(alice, roomy_trunk, 5, "zweimal")
    orders.process_order(order.pk)
    orders.process_order(order.pk)
    assert Order.objects.get(pk=order.pk).status == Order.Status.PROCESSING
    assert User.objects.filter(username__startswith="zweimal.").count() == 5
    assert RegistrarJob.objects.filter(username__startswith="zweimal.").count() == 5
    RegistrarJob.objects.update(status=RegistrarJob.Status.DONE)
    orders.process_order(order.pk)
    orders.process_order(order.pk)
    assert Order.objects.get(pk=order.pk).status == Order.Status.COMPLETED
    assert Notification.objects.filter(order=order, kind=Notification.Kind.WELCOME).count() == 5
    assert RegistrarJob.objects.filter(username__startswith="zweimal.").count() == 5


def test_a_run_that_finds_items_pending_leaves_the_order_to_the_run_at_it(alice, roomy_trunk):
    """A second run that finds another still at the items (locked, so it saw none of them)
    neither completes the order nor writes its messages."""
    order, _ = place_queries(alice, roomy_trunk, 2, "parallel")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("orders.services.processing._activate_chunk", lambda order: False)
        orders.process_order(order.pk)
    order.refresh_from_db()
    assert order.status == Order.Status.PROCESSING
    assert not order.notifications.exists()
    orders.process_order(order.pk)
    assert Order.objects.get(pk=order.pk).status == Order.Status.COMPLETED


class CountingBackend:
    """A registrar that counts what it is told to write."""

    connected = True
    domain = "sip.example.com"

    def __init__(self) -> None:
        self.ensured: list[str] = []
        self.locked: list[list[str]] = []

    @contextlib.contextmanager
    def transaction(self, usernames=()):
        self.locked.append(sorted(set(usernames)))
        yield

    def ensure_subscriber(self, *, username, e164):
        self.ensured.append(username)
        return True


@pytest.fixture
def counting_registrar(monkeypatch):
    backend = CountingBackend()
    monkeypatch.setattr("provisioning.services.batch.get_backend", lambda: backend)
    monkeypatch.setattr("provisioning.services.batch.enqueue_batches", lambda job_ids: None)
    return backend


def jobs(count: int) -> list[int]:
    entries = [(f"stapel.{i}", f"+4922818123{i:03d}", f"ref:{i}") for i in range(count)]
    return [job.pk for job in provisioning.queue_ensure_many(entries)]


def test_a_batch_run_twice_writes_each_subscriber_once(db, counting_registrar):
    ids = jobs(4)
    assert provisioning.run_batch(ids, claim="task-1") == 4
    assert provisioning.run_batch(ids, claim="task-1") == 0  # the broker redelivered it
    assert provisioning.run_batch(ids, claim="task-2") == 0  # a second task with the ids
    assert provisioning.run_job(ids[0], claim="sweep") is False  # the sweep's single task
    assert sorted(counting_registrar.ensured) == [f"stapel.{i}" for i in range(4)]
    assert set(RegistrarJob.objects.values_list("status", flat=True)) == {"done"}
    # The batch held the lock of each username and number, in one sorted list.
    assert counting_registrar.locked[0][:4] == sorted(f"+4922818123{i:03d}" for i in range(4))


def test_a_batch_hands_the_task_waiting_for_its_jobs_on_once(db, counting_registrar, monkeypatch):
    ids = jobs(30)
    RegistrarJob.objects.filter(pk__in=ids).update(
        then_task="orders.tasks.process_order", then_id=7
    )
    enqueued = []
    monkeypatch.setattr(
        "provisioning.services.batch.celery.enqueue", lambda *args: enqueued.append(args)
    )
    provisioning.run_batch(ids, claim="task-1")
    assert enqueued == [("orders.tasks.process_order", 7)]


def test_a_batch_claims_a_row_another_task_runs_not(db, counting_registrar):
    ids = jobs(3)
    RegistrarJob.objects.filter(pk=ids[1]).update(
        status=RegistrarJob.Status.RUNNING, claimed_by="other", claimed_at=timezone_now()
    )
    assert provisioning.run_batch(ids, claim="task-1") == 2
    assert counting_registrar.ensured == ["stapel.0", "stapel.2"]


def test_a_newer_job_supersedes_the_batch_row_of_its_username(db, counting_registrar):
    ids = jobs(2)
    RegistrarJob.objects.create(kind=RegistrarJob.Kind.REMOVE, username="stapel.1")
    provisioning.run_batch(ids, claim="task-1")
    assert counting_registrar.ensured == ["stapel.0"]
    assert RegistrarJob.objects.get(pk=ids[1]).status == RegistrarJob.Status.SUPERSEDED


def test_a_batch_costs_the_same_for_3_and_30_jobs(db, counting_registrar):
    small, big = jobs(3), jobs(30)
    with CaptureQueriesContext(connection) as small_queries:
        provisioning.run_batch(small, claim="a")
    with CaptureQueriesContext(connection) as big_queries:
        provisioning.run_batch(big, claim="b")
    assert len(big_queries) == len(small_queries)


def test_the_order_page_shows_the_progress(alice, alice_client, roomy_trunk):
    order, _ = place_queries(alice, roomy_trunk, 3, "stand")
    page = alice_client.get(reverse("orders:detail", args=[order.code])).content.decode()
    assert "0 von 3 Arbeitsplätzen aktiv" in page
    orders.process_order(order.pk)
    Notification.objects.filter(order=order, kind=Notification.Kind.WELCOME).update(
        status=Notification.Status.SENT
    )
    page = alice_client.get(reverse("orders:detail", args=[order.code])).content.decode()
    assert "3 von 3 Arbeitsplätzen aktiv · 3 von 6 Nachrichten versendet" in page
    assert OrderItem.objects.filter(order=order, outcome=OrderItem.Outcome.DONE).count() == 3


def timezone_now():
    from django.utils import timezone

    return timezone.now()
