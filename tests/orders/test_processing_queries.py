"""Running an order again (after each registrar job) costs the same whatever its size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders import services as orders
from orders.models import Order
from portal.policy import Actor
from provisioning.models import RegistrarJob
from workplaces.services import setup


def order_of(admin, trunk, size: int, stem: str) -> Order:
    fill_cart(admin, trunk, size, stem)
    actor = Actor.for_admin(admin)
    return orders.place_order(actor=actor, token=orders.cart_of(admin).token)


def fill_cart(admin, trunk, size: int, stem: str) -> None:
    """``size`` complete drafts in the admin's cart (e-mail only, no package)."""
    actor = Actor.for_admin(admin)
    numbers = list(trunk.numbers.free().order_by("e164")[:size])
    for i, number in enumerate(numbers):
        draft = setup.start_draft(
            actor=actor,
            trunk=trunk,
            user_data={
                "first_name": "Jörg",
                "last_name": "Müller",
                "street": "Friedrich-Ebert-Allee",
                "house_number": "140",
                "postcode": "53113",
                "city": "Bonn",
                "email": f"{stem}{i}@example.com",
            },
        )
        setup.reserve_username(
            actor=actor,
            draft=draft,
            username=f"{stem}.w{i}",
            contacts={"auth_email": f"{stem}{i}@example.com", "mobile": "", "without_mobile": True},
        )
        setup.reserve_number(actor=actor, draft=draft, number=number)
        setup.choose_package(actor=actor, draft=draft, package=None)
        setup.add_to_cart(draft=draft, actor=actor)


def rerun_queries(order: Order) -> int:
    """Process the order once (the registrar jobs stay pending), then count a re-run."""
    orders.process_order(order.pk, send_messages=False)
    assert Order.objects.get(pk=order.pk).status == Order.Status.PROCESSING
    with CaptureQueriesContext(connection) as queries:
        orders.process_order(order.pk, send_messages=False)
    return len(queries)


@pytest.fixture
def registrar_waits(settings, monkeypatch):
    """A registrar is connected and its jobs are not run (their tasks are not handed out)."""
    settings.PROVISIONING_BACKEND = "kamailio"
    settings.KAMAILIO_DATABASE_URL = "postgres://unused@127.0.0.1:1/unused"
    settings.SIP_DOMAIN = "sip.example.com"
    monkeypatch.setattr("provisioning.services.jobs.enqueue", lambda job_id: None)
    monkeypatch.setattr("provisioning.services.batch.enqueue_batches", lambda job_ids: None)


def test_a_rerun_while_the_registrar_works_costs_the_same_for_1_and_20_items(
    alice, trunk, registrar_waits
):
    small = rerun_queries(order_of(alice, trunk, 1, "klein"))
    big = rerun_queries(order_of(alice, trunk, 20, "gross"))
    assert RegistrarJob.objects.exclude(status__in=RegistrarJob.FINISHED).count() == 21
    assert big == small
