"""An order of many workplaces shows its items in pages of 50 (keys first, then only the
page's rows with their joins); the progress line and the sums cover the whole order."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.services import ITEMS_PER_PAGE
from tests import scale_data
from workplaces.models import Workplace


@pytest.fixture
def scale(packages):
    scale = scale_data.create()
    scale_data.grow(scale, workplaces=ITEMS_PER_PAGE + 10, numbers=100)
    return scale


@pytest.fixture
def client(scale):
    client = Client()
    client.force_login(scale.admin)
    return client


def get(client, scale, **params) -> str:
    url = reverse("orders:detail", args=[scale.first_order.code])
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_order_page_shows_50_items_and_the_next_page_the_rest(scale, client):
    first, second = get(client, scale), get(client, scale, page="2")
    last = scale_data.username(ITEMS_PER_PAGE + 9)
    assert first.count('<td class="tel"') == ITEMS_PER_PAGE
    assert scale_data.username(0) in first and last not in first
    assert second.count('<td class="tel"') == 10
    assert last in second and scale_data.username(0) not in second
    assert "Seite 1 von 2" in first and 'rel="next"' in first
    assert "Seite 2 von 2" in second and 'rel="prev"' in second


def test_the_progress_counts_every_item_of_the_order_on_every_page(scale, client):
    active = Workplace.objects.filter(status__in=Workplace.LOGIN_ALLOWED).count()
    assert 0 < active < ITEMS_PER_PAGE + 10
    line = f"{active} von {ITEMS_PER_PAGE + 10} Arbeitsplätzen aktiv"
    assert line in get(client, scale)
    assert line in get(client, scale, page="2")


def test_a_page_of_items_costs_the_same_queries_as_the_first(scale, client):
    with CaptureQueriesContext(connection) as first:
        get(client, scale)
    with CaptureQueriesContext(connection) as second:
        get(client, scale, page="2")
    assert len(second) == len(first)


def test_an_order_in_progress_refreshes_the_page_of_items_it_shows(scale, client):
    order = scale.first_order
    order.status = next(iter(order.IN_PROGRESS))
    order.save(update_fields=["status"])
    url = reverse("orders:detail", args=[order.code])
    assert f'hx-get="{url}"' in get(client, scale)
    second = get(client, scale, page="2")
    assert f'hx-get="{url}?page=2"' in second
    assert f'<a href="{url}?page=2">Jetzt aktualisieren</a>' in second


def test_with_a_registrar_the_progress_counts_every_item_set_up_there(scale, client, monkeypatch):
    from provisioning import services as provisioning
    from provisioning.models import RegistrarJob
    from workplaces.services import lifecycle

    monkeypatch.setattr(provisioning, "is_connected", lambda: True)
    usable = Workplace.objects.filter(status__in=Workplace.LOGIN_ALLOWED).order_by("pk")
    done = list(usable[ITEMS_PER_PAGE - 5 :])  # some on the first page, the rest on the second
    first_page = set(scale.first_order.items.values_list("workplace", flat=True)[:ITEMS_PER_PAGE])
    on_first = len([w for w in done if w.pk in first_page])
    assert 0 < on_first < len(done)
    provisioning.queue_ensure_many(
        [(w.username, w.number.e164, lifecycle.registrar_ref(w)) for w in done]
    )
    RegistrarJob.objects.update(status=RegistrarJob.Status.DONE)
    line = f"{len(done)} von {ITEMS_PER_PAGE + 10} Arbeitsplätzen aktiv"
    first, second = get(client, scale), get(client, scale, page="2")
    assert line in first and line in second
    assert first.count("SIP-Registrar: eingerichtet") == on_first
    assert second.count("SIP-Registrar: eingerichtet") == len(done) - on_first
