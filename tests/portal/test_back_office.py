"""The back office (Django admin) speaks German and leads from a customer to its data."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import Order
from portal.models import User
from tests.manage_helpers import order_new_workplace

pytestmark = pytest.mark.django_db

#: What Django 6.1 and django-axes show in English when nothing translates them.
ENGLISH = re.compile(
    r"\b(Search|Run|Select an option|Order items?|Order status changes?|Axes|Pagination|"
    r"Filter by|Logout|access attempt expirations?)\b",
    re.IGNORECASE,
)


@pytest.fixture
def staff(db) -> Client:
    user = User.objects.create_superuser(
        username="olga", password="Secret-Pass-1", email="olga@betrieb.example"
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ordered(alice, alice_client, trunk, other_trunk, charlie, charlie_client):
    """Demo GmbH and Beispiel AG each have one active workplace from a completed order."""
    joerg = order_new_workplace(alice_client, alice, trunk, username="joerg.mueller", number=None)
    karl = order_new_workplace(
        charlie_client, charlie, other_trunk, username="karl.koeln", first_name="Karl"
    )
    return joerg, karl


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    alts = " ".join(re.findall(r'(?:alt|title|placeholder|aria-label)="([^"]*)"', html))
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()) + " " + alts


def test_the_back_office_has_no_english_strings(staff, ordered):
    joerg, _karl = ordered
    order = Order.objects.filter(customer=joerg.trunk.customer).get()
    pages = [
        reverse("admin:index"),
        reverse("admin:app_list", args=["axes"]),
        reverse("admin:app_list", args=["orders"]),
        reverse("admin:portal_customer_changelist"),
        reverse("admin:portal_customer_change", args=[joerg.trunk.customer_id]),
        reverse("admin:orders_order_changelist"),
        reverse("admin:orders_order_change", args=[order.pk]),
        reverse("admin:workplaces_workplace_changelist"),
        reverse("admin:workplaces_workplace_change", args=[joerg.pk]),
        reverse("admin:trunks_siptrunk_changelist"),
        reverse("admin:axes_accessattempt_changelist"),
    ]
    for url in pages:
        response = staff.get(url)
        assert response.status_code == 200, url
        found = ENGLISH.findall(visible_text(response.content.decode()))
        assert found == [], (url, found)
    changelist = staff.get(reverse("admin:portal_customer_changelist")).content.decode()
    assert "Ausführen" in changelist and "– Bitte auswählen –" in changelist
    index = staff.get(reverse("admin:index")).content.decode()
    assert "Anmeldeschutz" in index and "Auftragspositionen" not in index
    order_page = staff.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "Auftragspositionen" in order_page and "Statusverlauf" in order_page


def test_the_customer_page_links_to_its_trunks_workplaces_and_orders(staff, ordered):
    joerg, karl = ordered
    customer = joerg.trunk.customer
    page = staff.get(reverse("admin:portal_customer_change", args=[customer.pk])).content.decode()
    links = {
        text: href.replace("&amp;", "&")
        for href, text in re.findall(r'<a href="([^"]+customer__id__exact=\d+)">([^<]+)</a>', page)
    }
    assert set(links) >= {"SIP-Trunks", "Arbeitsplätze", "Aufträge"}
    trunks = staff.get(links["SIP-Trunks"]).content.decode()
    assert "Zentrale Bonn" in trunks and "Hauptsitz Köln" not in trunks
    workplaces = staff.get(links["Arbeitsplätze"]).content.decode()
    assert "joerg.mueller" in workplaces and "karl.koeln" not in workplaces
    orders = staff.get(links["Aufträge"]).content.decode()
    mine = Order.objects.get(customer=customer).number
    theirs = Order.objects.get(customer=karl.trunk.customer).number
    assert mine in orders and theirs not in orders


@pytest.mark.parametrize(
    "written", ["0228 181234-10", "0228 18123410", "+49 228 181234-10", "+4922818123410"]
)
def test_the_number_search_accepts_the_way_the_portal_writes_numbers(staff, ordered, written):
    joerg, _karl = ordered
    assert joerg.number.e164 == "+4922818123410"
    url = reverse("admin:workplaces_workplace_changelist")
    page = staff.get(url, {"q": written}).content.decode()
    assert "joerg.mueller" in page and "karl.koeln" not in page
    numbers = staff.get(reverse("admin:trunks_number_changelist"), {"q": written}).content.decode()
    assert "+4922818123410" in numbers and "+4922818123411" not in numbers


def test_a_name_search_still_finds_names_only(staff, ordered):
    page = staff.get(reverse("admin:workplaces_workplace_changelist"), {"q": "Karl"})
    text = page.content.decode()
    assert "karl.koeln" in text and "joerg.mueller" not in text


def test_a_completed_order_is_read_only(staff, ordered):
    joerg, _karl = ordered
    order = Order.objects.get(customer=joerg.trunk.customer)
    assert order.status == Order.Status.COMPLETED
    url = reverse("admin:orders_order_change", args=[order.pk])
    page = staff.get(url).content.decode()
    assert 'name="_save"' not in page and 'name="language"' not in page
    assert "Weitere(n) " not in page  # no "add another" row
    response = staff.post(url, {"language": "en"})
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.language == "de"
    delete = staff.get(reverse("admin:orders_order_delete", args=[order.pk]))
    assert delete.status_code == 403


def test_website_anzeigen_opens_a_page_for_staff(staff):
    index = staff.get(reverse("admin:index")).content.decode()
    site = re.search(r'<a href="([^"]+)">Website anzeigen</a>', index)
    assert site, "no link"
    response = staff.get(site.group(1))
    assert response.status_code == 200
    assert reverse("admin:index") in response.content.decode()


def test_the_staff_page_is_for_staff_only(alice_client):
    assert alice_client.get(reverse("portal:staff_start")).status_code == 302
