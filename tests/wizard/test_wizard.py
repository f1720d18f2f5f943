from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.services import view_cart
from tests.conftest import make_trunk
from tests.wizard_helpers import USER_DATA, complete_draft, login_data, start_draft, step_url
from workplaces.models import SetupDraft, Workplace
from workplaces.services import setup
from workplaces.services.setup import expire_drafts
from workplaces.tasks import expire_drafts as expire_drafts_task


def test_one_trunk_skips_the_trunk_choice(alice_client, trunk):
    response = alice_client.get(reverse("wizard:start"))
    assert response["Location"] == reverse("wizard:new", args=[trunk.code])


def test_a_full_trunk_cannot_be_chosen_and_the_page_says_why(alice_client, trunk, demo_customer):
    full = make_trunk(demo_customer, "Voll", "+49302345678", 100, 120, quota=0)
    page = alice_client.get(reverse("wizard:start")).content.decode()
    assert "Kontingent dieses SIP-Trunks ist ausgeschöpft" in page
    response = alice_client.post(reverse("wizard:start"), {"trunk": full.code})
    assert response.status_code == 200
    assert "ausgeschöpft" in response.content.decode()
    assert alice_client.get(reverse("wizard:new", args=[full.code])).status_code == 302


def test_required_fields_and_postcodes_are_checked(alice_client, trunk):
    data = {**USER_DATA, "first_name": "", "postcode": "5311"}
    response = alice_client.post(reverse("wizard:new", args=[trunk.code]), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_first_name_error"' in page
    assert "deutsche Postleitzahl mit fünf Ziffern" in page
    assert 'value="Müller"' in page  # nothing entered is lost
    assert not SetupDraft.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"), [("first_name", "½"), ("last_name", "Müller Ⅻ"), ("city", "Bonn²")]
)
def test_numerals_are_not_letters_in_names(alice_client, trunk, field, value):
    """Found by the fuzz tests: numerals such as ½, ² and Ⅻ were taken for letters."""
    response = alice_client.post(
        reverse("wizard:new", args=[trunk.code]), {**USER_DATA, field: value}
    )
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [
        "Bitte nur Buchstaben, Leerzeichen, Bindestrich, Punkt oder Apostroph."
    ]
    assert not SetupDraft.objects.exists()


def test_a_later_step_redirects_to_the_first_incomplete_one(alice_client, trunk):
    draft = start_draft(alice_client, trunk)
    response = alice_client.get(step_url(draft, "konferenzpaket"))
    assert response["Location"] == step_url(draft, "benutzeranmeldung")


def test_back_keeps_what_was_entered(alice_client, trunk):
    draft = start_draft(alice_client, trunk)
    alice_client.post(step_url(draft, "benutzeranmeldung"), login_data())
    page = alice_client.get(step_url(draft, "benutzerdaten")).content.decode()
    assert 'value="Friedrich-Ebert-Allee"' in page
    page = alice_client.get(step_url(draft, "benutzeranmeldung")).content.decode()
    assert 'value="joerg.mueller"' in page


def test_the_username_is_suggested_from_the_name(alice_client, trunk):
    draft = start_draft(alice_client, trunk)
    page = alice_client.get(step_url(draft, "benutzeranmeldung")).content.decode()
    assert 'value="joerg.mueller"' in page
    assert "kann nach der Einrichtung des Arbeitsplatzes nicht mehr verändert werden" in page


def test_a_turkish_name_is_transliterated_not_shortened(alice_client, trunk):
    draft = start_draft(
        alice_client, trunk, {**USER_DATA, "first_name": "Mehmet", "last_name": "Yılmaz"}
    )
    page = alice_client.get(step_url(draft, "benutzeranmeldung")).content.decode()
    assert 'value="mehmet.yilmaz"' in page


def test_a_stored_mobile_number_is_shown_the_national_way(alice_client, trunk):
    draft = start_draft(alice_client, trunk)
    alice_client.post(step_url(draft, "benutzeranmeldung"), login_data(mobile="+49 171 2345679"))
    page = alice_client.get(step_url(draft, "benutzeranmeldung")).content.decode()
    assert 'value="0171 2345679"' in page
    draft.refresh_from_db()
    assert draft.mobile == "+491712345679"


def test_the_username_check_names_the_failed_rule_while_typing(alice_client, trunk):
    draft = start_draft(alice_client, trunk)
    url = reverse("wizard:check_username", args=[draft.code])
    response = alice_client.get(url, {"username": "Joerg"}, headers={"HX-Request": "true"})
    assert "nur Kleinbuchstaben" in response.content.decode()
    response = alice_client.get(url, {"username": "joerg..m"}, headers={"HX-Request": "true"})
    assert "Vor und nach jedem Sonderzeichen" in response.content.decode()
    response = alice_client.get(url, {"username": "joerg.m"}, headers={"HX-Request": "true"})
    assert "ist frei" in response.content.decode()


def test_usernames_of_workplaces_and_other_drafts_are_taken(alice_client, bob_client, trunk):
    complete_draft(bob_client, trunk, username="anna.schmidt")
    draft = start_draft(alice_client, trunk)
    response = alice_client.post(step_url(draft, "benutzeranmeldung"), login_data("anna.schmidt"))
    assert "bereits vergeben" in response.content.decode()


def test_the_page_says_which_way_the_password_travels(alice_client, trunk):
    draft = start_draft(alice_client, trunk)
    data = login_data(mobile="")
    data.pop("without_mobile")
    page = alice_client.post(step_url(draft, "benutzeranmeldung"), data).content.decode()
    assert "Bitte geben Sie eine Mobilfunknummer ein" in page
    assert "per SMS" in page
    data["without_mobile"] = "on"
    alice_client.post(step_url(draft, "benutzeranmeldung"), data)
    page = alice_client.get(step_url(draft, "benutzeranmeldung")).content.decode()
    assert "Passwort-Zustellung per E-Mail" in page


def test_a_landline_is_not_accepted_as_mobile_and_mobiles_are_stored_as_e164(alice_client, trunk):
    draft = start_draft(alice_client, trunk)
    page = alice_client.post(
        step_url(draft, "benutzeranmeldung"), login_data(mobile="0228 181234")
    ).content.decode()
    assert "keine Mobilfunknummer" in page
    alice_client.post(step_url(draft, "benutzeranmeldung"), login_data(mobile="0170 123 45 67"))
    draft.refresh_from_db()
    assert draft.mobile == "+491701234567"


def test_emails_must_match_or_be_taken_from_the_user_data(alice_client, trunk):
    draft = start_draft(alice_client, trunk)
    data = {**login_data(), "auth_email_repeat": "other@example.com"}
    page = alice_client.post(step_url(draft, "benutzeranmeldung"), data).content.decode()
    assert "stimmen nicht überein" in page
    data = {**login_data(), "auth_email": "", "auth_email_repeat": "", "use_user_email": "on"}
    alice_client.post(step_url(draft, "benutzeranmeldung"), data)
    draft.refresh_from_db()
    assert draft.auth_email == USER_DATA["email"]


def test_a_taken_number_is_shown_with_its_holder_but_cannot_be_chosen(
    alice_client, bob_client, trunk
):
    taken = complete_draft(bob_client, trunk, username="anna.schmidt")
    draft = start_draft(alice_client, trunk)
    alice_client.post(step_url(draft, "benutzeranmeldung"), login_data())
    # With "Nur freie Rufnummern" unticked (the form sends q, without free).
    page = alice_client.get(step_url(draft, "rufnummer"), {"q": ""}).content.decode()
    assert f'value="{taken.number.e164}" id="number-{taken.number.e164}" disabled' in page
    assert "reserviert in einer Einrichtung von bob" in page
    response = alice_client.post(step_url(draft, "rufnummer"), {"number": taken.number.e164})
    assert "bereits vergeben" in response.content.decode()


def checked_numbers(page: str) -> list[str]:
    return re.findall(r'<input type="radio" name="number" value="([^"]+)"[^>]* checked', page)


def test_step_4_lists_only_free_numbers_and_preselects_the_next_free_one(
    alice_client, bob_client, trunk
):
    taken = complete_draft(bob_client, trunk, username="anna.schmidt")  # holds 0228 181234-10
    assert taken.number.e164 == "+4922818123410"
    draft = start_draft(alice_client, trunk)
    alice_client.post(step_url(draft, "benutzeranmeldung"), login_data())
    page = alice_client.get(step_url(draft, "rufnummer")).content.decode()
    # "Nur freie Rufnummern" is on: the taken number is not listed.
    assert re.search(r'<input type="checkbox" name="free"[^>]* checked', page)
    assert f'value="{taken.number.e164}"' not in page
    # The next free number is checked already; "Weiter" takes it.
    assert setup.next_free_number(trunk=trunk).e164 == "+4922818123411"
    assert checked_numbers(page) == ["+4922818123411"]
    assert alice_client.post(step_url(draft, "rufnummer"), {"number": "+4922818123411"})
    draft.refresh_from_db()
    assert draft.number.e164 == "+4922818123411"
    # Once the draft has its number, that one is checked, not another.
    page = alice_client.get(step_url(draft, "rufnummer")).content.decode()
    assert checked_numbers(page) == ["+4922818123411"]


def test_step_4_shows_all_numbers_once_the_admin_unticks_nur_freie(alice_client, bob_client, trunk):
    taken = complete_draft(bob_client, trunk, username="anna.schmidt")
    draft = start_draft(alice_client, trunk)
    alice_client.post(step_url(draft, "benutzeranmeldung"), login_data())
    page = alice_client.get(step_url(draft, "rufnummer"), {"q": ""}).content.decode()
    assert not re.search(r'<input type="checkbox" name="free"[^>]* checked', page)
    assert f'value="{taken.number.e164}" id="number-{taken.number.e164}" disabled' in page
    # The first free row is still the one preselected, not the taken one.
    assert checked_numbers(page) == ["+4922818123411"]
    # A search preselects nothing (the next free number may not be among its rows).
    page = alice_client.get(step_url(draft, "rufnummer"), {"q": "*5", "free": "on"})
    assert checked_numbers(page.content.decode()) == []


def test_step_4_pages_with_naechste_seite_not_a_second_weiter(alice_client, trunk):
    draft = start_draft(alice_client, trunk)
    alice_client.post(step_url(draft, "benutzeranmeldung"), login_data())
    page = alice_client.get(step_url(draft, "rufnummer")).content.decode()
    nav = re.search(r'<nav class="pagination".*?</nav>', page, re.S).group(0)
    assert ">Nächste Seite</a>" in nav and "Weiter" not in nav
    page = alice_client.get(step_url(draft, "rufnummer"), {"page": "2"}).content.decode()
    nav = re.search(r'<nav class="pagination".*?</nav>', page, re.S).group(0)
    assert ">Vorherige Seite</a>" in nav and "Zurück" not in nav
    # Page 2 of the default list is still free numbers only.
    assert re.search(r'<input type="checkbox" name="free"[^>]* checked', page)


def test_forbidden_extensions_are_never_offered(alice_client, trunk):
    draft = start_draft(alice_client, trunk)
    alice_client.post(step_url(draft, "benutzeranmeldung"), login_data())
    page = alice_client.get(step_url(draft, "rufnummer"), {"q": "*2281812347"}).content.decode()
    assert "+4922818123477" not in page and "+4922818123478" not in page
    response = alice_client.post(step_url(draft, "rufnummer"), {"number": "+4922818123477"})
    assert "gehört nicht zu diesem SIP-Trunk" in response.content.decode()


def test_the_package_step_states_the_earliest_downgrade_date(alice_client, trunk):
    draft = start_draft(alice_client, trunk)
    alice_client.post(step_url(draft, "benutzeranmeldung"), login_data())
    alice_client.post(step_url(draft, "rufnummer"), {"number": "+4922818123410"})
    page = alice_client.get(step_url(draft, "konferenzpaket")).content.decode()
    earliest = timezone.localdate() + dt.timedelta(days=30)
    assert earliest.strftime("%d.%m.%Y") in page
    assert "Clients geschlossen (kein Logout)" in page
    assert "9,90" in page


def test_removing_from_the_cart_releases_the_reservations(alice_client, alice, trunk):
    draft = complete_draft(alice_client, trunk)
    assert view_cart(alice).monthly_net > 0
    alice_client.post(reverse("orders:remove", args=[draft.code]))
    draft.refresh_from_db()
    assert (draft.status, draft.username, draft.number) == ("discarded", None, None)
    assert view_cart(alice).lines == []


def test_the_cart_shows_net_and_gross_totals(alice_client, trunk):
    complete_draft(alice_client, trunk, username="joerg.mueller", package="konferenz-plus")
    complete_draft(alice_client, trunk, username="anna.schmidt", package="none")
    page = alice_client.get(reverse("orders:cart")).content.decode()
    # 2 x 6,90 workplace + 9,90 Plus = 23,70 net; 28,20 gross.
    assert "23,70 €" in page and "28,20 €" in page


def test_drafts_survive_logout_and_are_listed_for_resuming(alice_client, alice, trunk):
    draft = start_draft(alice_client, trunk)
    alice_client.post(reverse("portal:logout"))
    alice_client.force_login(alice)
    page = alice_client.get(reverse("manage:overview")).content.decode()
    assert "Einrichtung fortsetzen" in page
    response = alice_client.get(step_url(draft, "weiter"))
    assert response["Location"] == step_url(draft, "benutzeranmeldung")


def test_idle_drafts_expire_and_release_what_they_reserved(alice_client, trunk, settings):
    settings.DRAFT_IDLE_HOURS = 24
    draft = complete_draft(alice_client, trunk)
    fresh = start_draft(alice_client, trunk)
    SetupDraft.objects.filter(pk=draft.pk).update(
        updated_at=timezone.now() - dt.timedelta(hours=25)
    )
    assert expire_drafts_task.apply().get() == 1
    draft.refresh_from_db()
    fresh.refresh_from_db()
    assert (draft.status, draft.username, draft.number) == ("expired", None, None)
    assert fresh.status == "open"
    assert expire_drafts() == 0
    assert not Workplace.objects.exists()


def test_paging_the_numbers_with_htmx_asks_for_the_number_list_only(alice_client, trunk):
    draft = start_draft(alice_client, trunk)
    alice_client.post(step_url(draft, "benutzeranmeldung"), login_data())
    page = alice_client.get(step_url(draft, "rufnummer")).content.decode()
    assert 'hx-get="?page=2&amp;fragment=numbers"' in page
    fragment = alice_client.get(
        step_url(draft, "rufnummer"),
        {"page": 2, "fragment": "numbers"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert fragment.lstrip().startswith('<div id="number-choice">')


def test_a_number_that_is_no_e164_string_is_refused_before_any_query(alice_client, trunk):
    """A NUL byte reached PostgreSQL's query before (a DataError, a 500)."""
    draft = start_draft(alice_client, trunk)
    alice_client.post(step_url(draft, "benutzeranmeldung"), login_data())
    for junk in ("+49228\x0018123410", "22818123410", "+49 228 18123410", "+٤٩٢٢٨"):
        response = alice_client.post(step_url(draft, "rufnummer"), {"number": junk})
        assert response.status_code == 200
        assert "Diese Rufnummer gehört nicht zu diesem SIP-Trunk." in response.content.decode()
