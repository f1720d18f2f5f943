"""What a draft gives back: its number when another trunk is chosen, everything when the
owner discards it ("Verwerfen"). Whether a colleague may discard it: tests/portal/test_tenancy.py.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from orders.services import view_cart
from tests.conftest import make_trunk
from tests.wizard_helpers import complete_draft, login_data, start_draft, step_url
from workplaces.models import SetupDraft

BONN_10 = "+4922818123410"


@pytest.fixture
def cologne(demo_customer, trunk):
    """Demo GmbH's second trunk: the wizard's first step offers both."""
    return make_trunk(demo_customer, "Filiale Köln", "+4922155512", 10, 49)


def draft_with_number(client, trunk, number: str = BONN_10) -> SetupDraft:
    """Steps 2 to 4 saved: the draft holds the username joerg.mueller and ``number``."""
    draft = start_draft(client, trunk)
    assert client.post(step_url(draft, "benutzeranmeldung"), login_data()).status_code == 302
    assert client.post(step_url(draft, "rufnummer"), {"number": number}).status_code == 302
    draft.refresh_from_db()
    assert draft.number.e164 == number and draft.username == "joerg.mueller"
    return draft


def reserve(client, trunk, number: str, username: str) -> SetupDraft:
    """Another draft takes ``username`` and ``number`` through the wizard."""
    draft = start_draft(client, trunk)
    response = client.post(step_url(draft, "benutzeranmeldung"), login_data(username))
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(step_url(draft, "rufnummer"), {"number": number})
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert (draft.username, draft.number.e164) == (username, number)
    return draft


# --- Another trunk ---------------------------------------------------------------------------


def test_choosing_another_trunk_releases_the_number_for_other_drafts(
    alice_client, bob_client, trunk, cologne
):
    draft = draft_with_number(alice_client, trunk)
    page = alice_client.get(step_url(draft, "sip-trunk")).content.decode()
    assert "Zentrale Bonn" in page and "Filiale Köln" in page

    response = alice_client.post(step_url(draft, "sip-trunk"), {"trunk": cologne.code})
    assert response.status_code == 302
    assert response["Location"] == step_url(draft, "benutzerdaten")
    draft.refresh_from_db()
    assert draft.trunk == cologne and draft.number is None
    assert draft.username == "joerg.mueller"  # usernames are not tied to a trunk

    # The number step is open again and offers the numbers of the new trunk only.
    response = alice_client.get(step_url(draft, "konferenzpaket"))
    assert response["Location"] == step_url(draft, "rufnummer")
    page = alice_client.get(step_url(draft, "rufnummer")).content.decode()
    assert 'value="+492215551210"' in page and BONN_10 not in page
    response = alice_client.post(step_url(draft, "rufnummer"), {"number": BONN_10})
    assert "gehört nicht zu diesem SIP-Trunk" in response.content.decode()

    # The Bonn number is free again: another draft takes it.
    assert trunk.numbers.free().filter(e164=BONN_10).exists()
    reserve(bob_client, trunk, BONN_10, "anna.schmidt")


def test_choosing_the_same_trunk_again_keeps_the_number(alice_client, trunk, cologne):
    draft = draft_with_number(alice_client, trunk)
    response = alice_client.post(step_url(draft, "sip-trunk"), {"trunk": trunk.code})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.trunk == trunk and draft.number.e164 == BONN_10
    assert not trunk.numbers.free().filter(e164=BONN_10).exists()


# --- Verwerfen -------------------------------------------------------------------------------


@pytest.mark.parametrize("in_cart", [False, True], ids=["open", "in the cart"])
def test_the_owner_discards_her_draft_and_its_username_and_number_are_free_again(
    alice_client, alice, bob_client, trunk, in_cart
):
    if in_cart:
        draft = complete_draft(alice_client, trunk, number=BONN_10)
        assert len(view_cart(alice).lines) == 1
    else:
        draft = draft_with_number(alice_client, trunk)
    url = reverse("wizard:discard", args=[draft.code])
    overview = alice_client.get(reverse("manage:overview")).content.decode()
    assert f'href="{url}"' in overview

    # GET asks first and changes nothing.
    response = alice_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "Einrichtung verwerfen" in page and "Die Einrichtung für Jörg Müller wird verworfen" in page
    )
    assert '<form method="post">' in page and ">Verwerfen</button>" in page
    before = SetupDraft.objects.get(pk=draft.pk)
    assert (before.status, before.username, before.number_id) == (
        draft.status,
        "joerg.mueller",
        draft.number_id,
    )

    response = alice_client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("manage:overview")
    draft.refresh_from_db()
    assert (draft.status, draft.username, draft.number) == (SetupDraft.Status.DISCARDED, None, None)
    assert view_cart(alice).lines == []
    overview = alice_client.get(reverse("manage:overview")).content.decode()
    assert url not in overview and "Einrichtung fortsetzen" not in overview

    # Gone for the wizard too; a second "Verwerfen" finds nothing.
    assert alice_client.get(step_url(draft, "benutzerdaten")).status_code == 404
    assert alice_client.post(url).status_code == 404

    # Username and number are free for any other draft.
    reserve(bob_client, trunk, BONN_10, "joerg.mueller")
