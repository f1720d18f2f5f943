"""Roles and trunk limits: the policy answers, every page follows (URL × role → status).

``Administrator`` does everything, ``Bearbeiter`` everything but admins and API keys,
``Leser`` sees and changes nothing (a German 403 page); an admin limited to some trunks gets
a 404 for everything of another trunk.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from api import services as api_services
from orders.models import Order
from portal import policy
from portal.errors import Refusal
from portal.models import AdminRole, User
from portal.policy import Actor
from tests.api.test_v1 import TRUNKS, get
from tests.conftest import _admin, client_for, make_trunk
from tests.services.helpers import active_workplace
from trunks.models import SipTrunk

ROLES = ["administrator", "bearbeiter", "leser", "berlin"]


@pytest.fixture
def berlin_trunk(demo_customer, packages):
    return make_trunk(demo_customer, "Niederlassung Berlin", "+4930123456", 10, 99)


def make_admin(username, customer, role=AdminRole.ADMINISTRATOR, trunks=()):
    user = _admin(username, customer)
    user.admin_role = role
    user.limited_to_trunks = bool(trunks)
    user.save(update_fields=["admin_role", "limited_to_trunks"])
    user.trunks.set(trunks)
    return user


@pytest.fixture
def world(alice, demo_customer, trunk, berlin_trunk):
    bonn = active_workplace(alice, trunk, username="anna.bonn")
    berlin = active_workplace(alice, berlin_trunk, username="bernd.berlin")
    admins = {
        "administrator": alice,
        "bearbeiter": make_admin("ed.bearbeiter", demo_customer, AdminRole.BEARBEITER),
        "leser": make_admin("lea.leser", demo_customer, AdminRole.LESER),
        "berlin": make_admin(
            "bert.berlin", demo_customer, AdminRole.BEARBEITER, trunks=[berlin_trunk]
        ),
    }
    orders = {w.trunk.name: Order.objects.get(items__workplace=w) for w in (bonn, berlin)}
    return {"bonn": bonn, "berlin": berlin, "admins": admins, "orders": orders}


def urls(world) -> dict[str, tuple[str, str]]:
    bonn, berlin = world["bonn"], world["berlin"]
    return {
        "dashboard": ("get", reverse("manage:dashboard")),
        "overview": ("get", reverse("manage:overview") + "?trunk=alle"),
        "CSV export": ("get", reverse("manage:export") + "?trunk=alle"),
        "numbers Bonn": ("get", reverse("manage:numbers", args=[bonn.trunk.code])),
        "numbers Berlin": ("get", reverse("manage:numbers", args=[berlin.trunk.code])),
        "workplace Bonn": ("get", reverse("manage:detail", args=[bonn.code])),
        "workplace Berlin": ("get", reverse("manage:detail", args=[berlin.code])),
        "edit Bonn": ("get", reverse("manage:edit", args=[bonn.code])),
        "edit Berlin": ("get", reverse("manage:edit", args=[berlin.code])),
        "save Bonn": ("post", reverse("manage:edit", args=[bonn.code])),
        "package Bonn": ("get", reverse("orders:change_package", args=[bonn.code])),
        "delete Bonn": ("get", reverse("orders:delete", args=[bonn.code])),
        "wizard": ("get", reverse("wizard:start")),
        "wizard Bonn": ("get", reverse("wizard:new", args=[bonn.trunk.code])),
        "wizard Berlin": ("get", reverse("wizard:new", args=[berlin.trunk.code])),
        "import Bonn": ("get", reverse("listimport:upload", args=[bonn.trunk.code])),
        "cart": ("get", reverse("orders:cart")),
        "place order": ("post", reverse("orders:place")),
        "quotas": ("get", reverse("orders:status")),
        "orders": ("get", reverse("orders:list")),
        "order Bonn": (
            "get",
            reverse("orders:detail", args=[world["orders"]["Zentrale Bonn"].code]),
        ),
        "order Berlin": (
            "get",
            reverse("orders:detail", args=[world["orders"]["Niederlassung Berlin"].code]),
        ),
        "API keys": ("get", reverse("api:keys")),
        "new API key": ("post", reverse("api:keys")),
        "Protokoll": ("get", reverse("portal:protokoll")),
        "Administratoren": ("get", reverse("admins:list")),
        "invite": ("get", reverse("admins:invite")),
        "rights of Bearbeiter": ("get", reverse("admins:edit", args=["ed.bearbeiter"])),
        "own 2FA setup": ("get", reverse("portal:two_factor_setup")),
    }


# Status per role: administrator, bearbeiter, leser, berlin (a Bearbeiter of Berlin only).
TABLE = {
    "dashboard": (200, 200, 200, 200),
    "overview": (200, 200, 200, 200),
    "CSV export": (200, 200, 200, 200),
    "numbers Bonn": (200, 200, 200, 404),
    "numbers Berlin": (200, 200, 200, 200),
    "workplace Bonn": (200, 200, 200, 404),
    "workplace Berlin": (200, 200, 200, 200),
    "edit Bonn": (200, 200, 403, 404),
    "edit Berlin": (200, 200, 403, 200),
    "save Bonn": (200, 200, 403, 404),
    "package Bonn": (200, 200, 403, 404),
    "delete Bonn": (200, 200, 403, 404),
    # Berlin's admin has one trunk: step 1 is skipped.
    "wizard": (200, 200, 403, 302),
    "wizard Bonn": (200, 200, 403, 404),
    "wizard Berlin": (200, 200, 403, 200),
    "import Bonn": (200, 200, 403, 404),
    "cart": (200, 200, 403, 200),
    "place order": (302, 302, 403, 302),
    "quotas": (200, 200, 200, 200),
    "orders": (200, 200, 200, 200),
    "order Bonn": (200, 200, 200, 404),
    "order Berlin": (200, 200, 200, 200),
    "API keys": (200, 403, 403, 403),
    "new API key": (400, 403, 403, 403),
    "Protokoll": (200, 200, 200, 200),
    "Administratoren": (200, 403, 403, 403),
    "invite": (200, 403, 403, 403),
    "rights of Bearbeiter": (200, 403, 403, 403),
    "own 2FA setup": (200, 200, 200, 200),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(TABLE))
def test_each_role_gets_the_status_of_the_table(world, role, name):
    method, url = urls(world)[name]
    response = getattr(client_for(world["admins"][role]), method)(url)
    assert response.status_code == TABLE[name][ROLES.index(role)]


def test_a_reader_gets_a_german_403_page_and_nothing_changes(world):
    bonn = world["bonn"]
    response = client_for(world["admins"]["leser"]).post(
        reverse("manage:edit", args=[bonn.code]), {"first_name": "Eve", "last_name": "X"}
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert "<h1>Keine Berechtigung</h1>" in page
    assert "Dazu fehlt Ihnen die Berechtigung." in page
    bonn.refresh_from_db()
    assert bonn.first_name == "Jörg"


CHANGE_LABELS = [
    "SIP-Trunk Arbeitsplatz einrichten",
    "Arbeitsplätze importieren",
    "Bearbeiten",
    "Paket ändern",
    "Passwort zurücksetzen",
    "Löschen",
    "Warenkorb",
    "API-Schlüssel",
]


def test_a_reader_finds_no_change_button(world):
    reader = client_for(world["admins"]["leser"])
    pages = [
        reverse("manage:overview") + f"?trunk={world['bonn'].trunk.code}",
        reverse("manage:detail", args=[world["bonn"].code]),
        reverse("orders:status"),
        reverse("manage:dashboard"),
    ]
    for url in pages:
        page = reader.get(url).content.decode()
        assert [label for label in CHANGE_LABELS if f">{label}<" in page] == [], url


def test_an_editor_sees_the_change_buttons(world):
    page = client_for(world["admins"]["bearbeiter"]).get(
        reverse("manage:detail", args=[world["bonn"].code])
    )
    assert ">Bearbeiten<" in page.content.decode()


def test_the_policy_refuses_every_change_of_a_reader(world):
    reader = Actor.for_admin(world["admins"]["leser"])
    assert policy.may_see(reader, world["bonn"])
    assert not policy.may_change(reader, world["bonn"])
    with pytest.raises(Refusal) as caught:
        policy.check_change(reader, world["bonn"].trunk)
    assert (caught.value.code, caught.value.message) == (
        "forbidden",
        "Dazu fehlt Ihnen die Berechtigung.",
    )


def test_a_limited_admin_sees_orders_of_their_trunks_only(world):
    berlin = Actor.for_admin(world["admins"]["berlin"])
    seen = policy.visible(berlin, Order.objects.all())
    assert list(seen) == [world["orders"]["Niederlassung Berlin"]]
    assert [t.name for t in policy.visible(berlin, SipTrunk.objects.all())] == [
        "Niederlassung Berlin"
    ]


def test_a_limited_admin_with_no_trunk_left_reaches_none(world):
    berlin = world["admins"]["berlin"]
    berlin.trunks.clear()
    fresh = User.objects.get(pk=berlin.pk)
    assert not policy.visible(Actor.for_admin(fresh), SipTrunk.objects.all()).exists()


def test_an_api_key_acts_with_its_admins_role_and_trunks(world):
    berlin = world["admins"]["berlin"]
    actor = Actor.for_api_key(berlin, "Skript")
    assert (actor.role, actor.trunk_ids) == ("bearbeiter", frozenset({world["berlin"].trunk_id}))
    assert not policy.may_see(actor, world["bonn"])


def test_the_overview_of_a_limited_admin_lists_only_their_trunk(world):
    page = client_for(world["admins"]["berlin"]).get(reverse("manage:overview")).content
    assert "bernd.berlin" in page.decode()
    assert "anna.bonn" not in page.decode()


def test_the_csv_export_of_a_limited_admin_has_only_their_trunk(world):
    response = client_for(world["admins"]["berlin"]).get(reverse("manage:export") + "?trunk=alle")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "bernd.berlin" in body
    assert "anna.bonn" not in body


def test_an_api_key_of_a_limited_admin_lists_only_their_trunks(world, demo_customer):
    berlin = world["admins"]["berlin"]
    berlin.admin_role = AdminRole.ADMINISTRATOR
    berlin.save(update_fields=["admin_role"])
    _key, raw_key = api_services.create_api_key(actor=Actor.for_admin(berlin), name="Filiale")
    body = get(TRUNKS, raw_key).json()
    assert [t["name"] for t in body["items"]] == ["Niederlassung Berlin"]


def test_only_an_administrator_creates_api_keys(world):
    for role in ("bearbeiter", "leser"):
        with pytest.raises(Refusal) as caught:
            api_services.create_api_key(actor=Actor.for_admin(world["admins"][role]), name="X")
        assert caught.value.code == "forbidden"


def test_the_protokoll_of_a_limited_admin_shows_only_their_trunks_events(world):
    page = client_for(world["admins"]["berlin"]).get(reverse("portal:protokoll")).content.decode()
    assert "bernd.berlin" in page
    assert "anna.bonn" not in page
    full = client_for(world["admins"]["leser"]).get(reverse("portal:protokoll")).content.decode()
    assert "anna.bonn" in full


def test_a_limited_administrator_sees_and_revokes_only_their_own_api_keys(world):
    berlin = world["admins"]["berlin"]
    berlin.admin_role = AdminRole.ADMINISTRATOR
    berlin.save(update_fields=["admin_role"])
    alices, _raw = api_services.create_api_key(
        actor=Actor.for_admin(world["admins"]["administrator"]), name="Zentrale"
    )
    api_services.create_api_key(actor=Actor.for_admin(berlin), name="Filiale")
    client = client_for(berlin)
    page = client.get(reverse("api:keys")).content.decode()
    assert "Filiale" in page
    assert "Zentrale" not in page
    assert client.post(reverse("api:revoke", args=[alices.code])).status_code == 404
    alices.refresh_from_db()
    assert alices.revoked_at is None
