"""The page "Administratoren": roles and trunks, deactivation, and the last full admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import AdminRole, AuditEvent, User
from tests.conftest import client_for, make_trunk
from tests.services.helpers import draft_in_cart
from workplaces.models import SetupDraft


@pytest.fixture
def berlin_trunk(demo_customer, packages):
    return make_trunk(demo_customer, "Niederlassung Berlin", "+4930123456", 10, 99)


def edit_url(user: User) -> str:
    return reverse("admins:edit", args=[user.username])


def test_a_full_admin_lists_the_customers_admins(alice_client, bob, charlie):
    page = alice_client.get(reverse("admins:list")).content.decode()
    assert ">bob<" in page.replace("<br>", "<")
    assert "charlie" not in page
    assert "nicht eingerichtet" in page


def test_the_top_bar_links_the_page_for_full_admins_only(alice_client, bob):
    assert "Administratoren</a>" in alice_client.get(reverse("manage:dashboard")).content.decode()
    bob.admin_role = AdminRole.BEARBEITER
    bob.save(update_fields=["admin_role"])
    page = client_for(bob).get(reverse("manage:dashboard")).content.decode()
    assert "Administratoren</a>" not in page


def test_a_full_admin_makes_a_colleague_a_limited_reader(alice_client, bob, berlin_trunk):
    response = alice_client.post(
        edit_url(bob), {"role": "leser", "limited": "on", "trunks": [berlin_trunk.pk]}
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert (bob.admin_role, bob.trunk_ids) == ("leser", frozenset({berlin_trunk.pk}))
    event = AuditEvent.objects.get(action="admin_changed")
    assert event.text == "bob ist jetzt Leser (Niederlassung Berlin)"
    assert event.actor.username == "alice"


def test_a_limit_needs_a_trunk(alice_client, bob):
    response = alice_client.post(edit_url(bob), {"role": "bearbeiter", "limited": "on"})
    assert response.status_code == 200
    assert "Bitte wählen Sie mindestens einen SIP-Trunk." in response.content.decode()
    bob.refresh_from_db()
    assert bob.admin_role == "administrator"


@pytest.mark.parametrize(
    "data",
    [{"role": "bearbeiter"}, {"role": "administrator", "limited": "on", "trunks": ["TRUNK"]}],
)
def test_the_last_full_admin_cannot_be_demoted_or_limited(alice_client, alice, trunk, data):
    data = {k: ([trunk.pk] if v == ["TRUNK"] else v) for k, v in data.items()}
    response = alice_client.post(edit_url(alice), data)
    assert "ist der letzte Administrator mit allen Rechten" in response.content.decode()
    alice.refresh_from_db()
    assert (alice.admin_role, alice.limited_to_trunks) == ("administrator", False)


def test_the_last_full_admin_cannot_be_deactivated(alice_client, alice, bob):
    bob.admin_role = AdminRole.LESER
    bob.save(update_fields=["admin_role"])
    response = alice_client.post(reverse("admins:deactivate", args=["alice"]))
    assert response.status_code == 400
    assert "ist der letzte Administrator mit allen Rechten" in response.content.decode()
    alice.refresh_from_db()
    assert alice.is_active


def test_deactivating_ends_the_session_and_discards_the_cart(alice_client, bob, trunk):
    bob_client = client_for(bob)
    draft = draft_in_cart(bob, trunk, username="anna.schmidt")
    assert bob_client.get(reverse("orders:cart")).status_code == 200
    response = alice_client.post(reverse("admins:deactivate", args=["bob"]))
    assert response.status_code == 302
    after = bob_client.get(reverse("orders:cart"))
    assert after.status_code == 302
    assert after["Location"].startswith("/anmelden/")
    draft.refresh_from_db()
    assert (draft.status, draft.username, draft.number) == (SetupDraft.Status.DISCARDED, None, None)
    assert (
        AuditEvent.objects.get(action="admin_deactivated").text == "Administrator bob deaktiviert"
    )


@pytest.mark.parametrize("role", ["bearbeiter", "leser"])
def test_other_roles_get_403_on_the_page(bob, alice, role):
    bob.admin_role = role
    bob.save(update_fields=["admin_role"])
    for url in (reverse("admins:list"), edit_url(alice)):
        assert client_for(bob).get(url).status_code == 403


def test_a_limited_administrator_gets_403(bob, alice, trunk):
    bob.limited_to_trunks = True
    bob.save(update_fields=["limited_to_trunks"])
    bob.trunks.set([trunk])
    assert client_for(bob).get(reverse("admins:list")).status_code == 403


def test_another_customers_admin_is_not_found(alice_client, charlie):
    assert alice_client.get(edit_url(charlie)).status_code == 404
    response = alice_client.post(reverse("admins:deactivate", args=["charlie"]))
    assert response.status_code == 404
    charlie.refresh_from_db()
    assert charlie.is_active
