"""The conference packages are kept per process (catalog/offer.py): read once, and read again
at once after a package is saved or deleted in this process, or after MAX_AGE elsewhere."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import offer
from catalog.models import Package
from tests.wizard_helpers import login_data, start_draft, step_url


def offered(client, draft) -> str:
    response = client.get(step_url(draft, "konferenzpaket"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_list_is_read_once(packages):
    first = offer.conference_packages()
    with CaptureQueriesContext(connection) as queries:
        again = offer.conference_packages()
    assert len(queries) == 0
    assert [p.code for p in again] == [p.code for p in first]
    assert [p.code for p in first] == [p.code for p in Package.objects.conference()]


def test_step_5_shows_a_change_of_the_packages_at_once(alice_client, trunk):
    draft = start_draft(alice_client, trunk)
    alice_client.post(step_url(draft, "benutzeranmeldung"), login_data("paket.test"))
    number = trunk.numbers.free().order_by("e164").values_list("e164", flat=True)[0]
    alice_client.post(step_url(draft, "rufnummer"), {"number": number})
    assert 'value="konferenz-plus"' in offered(alice_client, draft)  # now cached

    plus = Package.objects.get(code="konferenz-plus")
    plus.name = "Konferenz Plus Neu"
    plus.save()
    assert "Konferenz Plus Neu" in offered(alice_client, draft)

    plus.active = False
    plus.save()
    assert 'value="konferenz-plus"' not in offered(alice_client, draft)

    Package.objects.create(
        code="konferenz-mini", kind=Package.Kind.CONFERENCE, name="Konferenz Mini",
        rank=0, monthly_net=Decimal("1.00"),
    )  # fmt: skip
    assert 'value="konferenz-mini"' in offered(alice_client, draft)
    Package.objects.get(code="konferenz-mini").delete()
    assert 'value="konferenz-mini"' not in offered(alice_client, draft)


def test_another_process_s_change_is_seen_after_max_age(packages, monkeypatch):
    """A change in another process sends no signal here: the list is read again after
    MAX_AGE seconds."""
    monkeypatch.setattr(offer.time, "monotonic", lambda: 1000.0)
    assert "konferenz-plus" in [p.code for p in offer.conference_packages()]
    Package.objects.filter(code="konferenz-plus").update(active=False)  # no signal
    assert "konferenz-plus" in [p.code for p in offer.conference_packages()]
    monkeypatch.setattr(offer.time, "monotonic", lambda: 1000.0 + offer.MAX_AGE + 1)
    assert "konferenz-plus" not in [p.code for p in offer.conference_packages()]


def test_ordering_checks_the_database_not_the_cache(packages):
    offer.conference_packages()
    Package.objects.filter(code="konferenz-plus").update(active=False)  # elsewhere: no signal
    assert "konferenz-plus" in [p.code for p in offer.conference_packages()]
    assert Package.objects.orderable_by_code("konferenz-plus") is None
