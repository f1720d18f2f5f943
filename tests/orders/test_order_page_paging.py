"""An order of many workplaces shows its items in pages of 50 (keys first, then only the
page's rows with their joins); the progress line and the sums cover the whole order. Its
messages page the same way with their own parameter, failed ones first."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Notification
from orders.services import ITEMS_PER_PAGE, MESSAGES_PER_PAGE
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


# The messages: pages of 50 with their own parameter, failed ones first.


def add_messages(order, count: int, *, start: int = 0, failed=()) -> None:
    """``count`` messages for the order's workplaces, each named by its "Letzter Fehler"."""
    workplaces = list(order.items.values_list("workplace", flat=True).order_by("pk"))
    Notification.objects.bulk_create(
        Notification(
            order=order,
            workplace_id=workplaces[i % len(workplaces)],
            kind=Notification.Kind.WELCOME,
            channel=Notification.Channel.EMAIL,
            recipient=f"m{i}@scale.example",
            status=Notification.Status.FAILED if i in failed else Notification.Status.SENT,
            last_error=message_tag(i),
        )
        for i in range(start, start + count)
    )


def message_tag(i: int) -> str:
    return f"message-{i:05d}"


def message_rows(page: str) -> list[str]:
    return re.findall(r"message-\d{5}", page)


def test_the_order_page_shows_50_messages_and_pages_them_apart_from_the_items(scale, client):
    add_messages(scale.first_order, MESSAGES_PER_PAGE + 10)
    first = get(client, scale)
    assert message_rows(first) == [message_tag(i) for i in range(MESSAGES_PER_PAGE)]
    messages_two = get(client, scale, messages_page="2")
    assert message_rows(messages_two) == [
        message_tag(i) for i in range(MESSAGES_PER_PAGE, MESSAGES_PER_PAGE + 10)
    ]
    # the items stay on their first page while the messages are on their second
    assert messages_two.count('<td class="tel"') == ITEMS_PER_PAGE
    assert scale_data.username(0) in messages_two
    both = get(client, scale, page="2", messages_page="2")
    assert both.count('<td class="tel"') == 10 and len(message_rows(both)) == 10
    # each list's links change its own page and keep the other's
    assert 'href="?page=1&amp;messages_page=2"' in both  # items: "Vorherige Seite"
    assert 'href="?page=2&amp;messages_page=1#nachrichten"' in both
    assert "Seite 2 von 2" in both and "Seite 1 von 2" not in both
    items_two = get(client, scale, page="2")
    assert message_rows(items_two) == message_rows(first)
    assert 'href="?page=2&amp;messages_page=2#nachrichten"' in items_two


def test_failed_messages_come_first_and_the_progress_names_how_many(scale, client):
    late = {MESSAGES_PER_PAGE + 3, MESSAGES_PER_PAGE + 7}
    add_messages(scale.first_order, MESSAGES_PER_PAGE + 10, failed=late)
    page = get(client, scale, page="2", messages_page="2")
    assert "2 fehlgeschlagen" in page
    assert 'href="?page=2#nachrichten">2 fehlgeschlagen</a>' in page  # to their first page
    first = get(client, scale, page="2")
    rows = message_rows(first)
    assert rows[:2] == [message_tag(i) for i in sorted(late)]
    assert rows[2:] == [message_tag(i) for i in range(MESSAGES_PER_PAGE - 2)]
    assert first.count("Erneut senden") == 2
    assert "Fehlgeschlagene Nachrichten stehen zuerst." in first


def test_erneut_senden_returns_to_the_pages_it_was_sent_from(scale, client):
    add_messages(scale.first_order, MESSAGES_PER_PAGE + 10, failed={MESSAGES_PER_PAGE + 5})
    failed = Notification.objects.get(status=Notification.Status.FAILED)
    order = scale.first_order
    resend = reverse("orders:resend", args=[order.code, failed.code])
    assert f'action="{resend}?page=2"' in get(client, scale, page="2")
    response = client.post(f"{resend}?page=2&messages_page=2")
    assert response.status_code == 302
    detail = reverse("orders:detail", args=[order.code])
    assert response["Location"] == f"{detail}?page=2&messages_page=2"
    failed.refresh_from_db()
    assert failed.status == Notification.Status.PENDING
    assert client.post(f"{resend}?page=x")["Location"] == detail  # nothing but numbers


def test_an_order_in_progress_refreshes_both_pages_it_shows(scale, client):
    order = scale.first_order
    order.status = next(iter(order.IN_PROGRESS))
    order.save(update_fields=["status"])
    add_messages(order, MESSAGES_PER_PAGE + 10)
    url = reverse("orders:detail", args=[order.code])
    page = get(client, scale, page="2", messages_page="2")
    assert f'hx-get="{url}?page=2&amp;messages_page=2"' in page
    assert f'hx-get="{url}?messages_page=2"' in get(client, scale, messages_page="2")


def messages_queries(client, scale, **params) -> int:
    url = reverse("orders:detail", args=[scale.first_order.code])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


# session and user (2), the order (1), its items' keys and states (1) and the page's rows (1),
# history (1), the messages' counts (1) and the page of them with workplace and user (1)
ORDER_PAGE_QUERIES = 8


def test_the_messages_cost_the_same_queries_for_10_and_for_1000(scale, client):
    order = scale.first_order
    add_messages(order, 10, failed={3})
    small = messages_queries(client, scale)
    add_messages(order, 990, start=10, failed={500, 999})
    assert order.notifications.count() == 1000
    large = [
        messages_queries(client, scale),
        messages_queries(client, scale, messages_page="20"),
        messages_queries(client, scale, page="2", messages_page="11"),
    ]
    assert [small, *large] == [ORDER_PAGE_QUERIES] * 4
    failed = [3, 500, 999]
    in_order = failed + [i for i in range(1000) if i not in failed]
    deep = get(client, scale, messages_page="20")
    assert message_rows(deep) == [message_tag(i) for i in in_order[950:1000]]
