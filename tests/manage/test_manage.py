"""Managing workplaces after setup (issue 5): overview, CSV, detail, edit, password reset, access.

Package changes and deletions are in tests/orders/test_changes.py, the Protokoll page in
tests/portal/test_protokoll.py and the query counts at size in tests/workplaces/test_scale.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from catalog.models import Package
from notifications.models import Notification
from notifications.sms import LocmemSmsBackend
from orders import services as order_services
from orders.models import CartChange, Order
from portal.errors import Refusal
from portal.models import AuditEvent
from portal.policy import Actor
from tests.conftest import make_trunk
from tests.manage_helpers import (
    DAY_0,
    DETAIL_LINK,
    detail_url,
    edit_data,
    mail_password,
    order_new_workplace,
    sms_password,
)
from tests.wizard_helpers import start_draft
from workplaces.listimport.files import read_upload
from workplaces.models import SetupDraft, Workplace
from workplaces.services import credentials, lifecycle

OVERVIEW = reverse("manage:overview")
EXPORT = reverse("manage:export")
USERNAME_REASON = (
    "Der Benutzername kann nach der Einrichtung des Arbeitsplatzes nicht mehr verändert werden."
)


#: A day after the minimum term of the workplaces activated on DAY_0: they may be deleted.
AFTER_TERM = (DAY_0 + dt.timedelta(days=30)).date()


@pytest.fixture(autouse=True)
def _clock(time_machine, settings):
    """Every test starts on DAY_0 (02.03.2026); sessions outlive the moves of the clock."""
    settings.SESSION_COOKIE_AGE = 400 * 24 * 3600
    time_machine.move_to(DAY_0, tick=False)


def field_errors(page: str, field: str) -> list[str]:
    """The error messages shown next to ``field`` (the list its input points to)."""
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    return (
        [html.unescape(e) for e in re.findall(r"<li>(.*?)</li>", found.group(1))] if found else []
    )


def cell(text: str) -> str:
    """A table cell's text as the overview renders it (the label for phones in the tag)."""
    return f">{text}</td>"


def listed(page: str) -> set[str]:
    """The codes of the workplaces whose rows the overview shows."""
    return set(DETAIL_LINK.findall(page))


def codes(*workplaces: Workplace) -> set[str]:
    return {str(w.code) for w in workplaces}


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(content[1:]), delimiter=";"))


@pytest.fixture
def joerg(alice_client, alice, trunk) -> Workplace:
    """Jörg Müller, Konferenz Plus, 0228 181234-10, password by SMS."""
    return order_new_workplace(
        alice_client, alice, trunk, username="joerg.mueller", number="+4922818123410"
    )


@pytest.fixture
def team(alice_client, alice, trunk, joerg):
    """Three active workplaces on Zentrale Bonn (0228 181234-10, -11, -12)."""
    return {
        "joerg": joerg,
        "anna": order_new_workplace(
            alice_client,
            alice,
            trunk,
            username="anna.schmidt",
            first_name="Anna",
            last_name="Schmidt",
            number="+4922818123411",
            package="none",
            mobile="",
        ),
        "ben": order_new_workplace(
            alice_client,
            alice,
            trunk,
            username="b.weber",
            first_name="Ben",
            last_name="Weber",
            number="+4922818123412",
            package="konferenz-premium",
        ),
    }


def bulk_workplaces(trunk, admin, count: int) -> list[Workplace]:
    numbers = list(trunk.numbers.free().order_by("e164")[:count])
    return Workplace.objects.bulk_create(
        Workplace(
            trunk=trunk,
            username=f"person.{i:03d}",
            number=numbers[i],
            status=Workplace.Status.ACTIVE,
            first_name="Person",
            last_name=f"Nummer {i:03d}",
            auth_email=f"p{i}@example.com",
            created_by=admin,
        )
        for i in range(count)
    )


# --- Overview -------------------------------------------------------------------------------


def test_the_overview_lists_name_username_number_package_and_status(alice_client, team):
    page = alice_client.get(OVERVIEW).content.decode()
    assert "<h1>SIP-Trunk Arbeitsplätze verwalten</h1>" in page
    assert "Arbeitsplätze auf Zentrale Bonn" in page
    assert listed(page) == codes(*team.values())
    rows = re.findall(r"<tr><td[^>]*><a href.*?</tr>", page, re.S)
    # Sorted by last name: Müller, Schmidt, Weber.
    assert ["Jörg Müller" in rows[0], "Anna Schmidt" in rows[1], "Ben Weber" in rows[2]] == [
        True
    ] * 3
    joerg = rows[0]
    assert cell("joerg.mueller") in joerg
    assert cell("0228 181234-10") in joerg  # as people write it, not E.164
    assert cell("Konferenz Plus") in joerg
    assert "●</span> Aktiv" in joerg  # a symbol and a word, not colour alone
    assert cell("Kein Konferenzpaket") in rows[1]  # one label per state, never "–"
    assert "(3 Arbeitsplätze)" in page


def test_the_overview_switches_between_the_trunks_of_the_customer(
    alice_client, alice, trunk, team, demo_customer
):
    koeln = make_trunk(demo_customer, "Zweigstelle Köln", "+4922155500", 10, 99)
    maria = order_new_workplace(
        alice_client, alice, koeln, username="maria.koch", first_name="Maria", last_name="Koch"
    )
    page = alice_client.get(OVERVIEW, {"trunk": trunk.code}).content.decode()
    assert 'aria-label="SIP-Trunk wechseln"' in page
    assert f'href="?trunk={trunk.code}" aria-current="page">Zentrale Bonn' in page
    assert f'href="?trunk={koeln.code}">Zweigstelle Köln' in page
    assert 'href="?trunk=alle">Alle SIP-Trunks' in page
    assert listed(page) == codes(*team.values())

    page = alice_client.get(OVERVIEW, {"trunk": koeln.code}).content.decode()
    assert f'href="?trunk={koeln.code}" aria-current="page">Zweigstelle Köln' in page
    assert "Arbeitsplätze auf Zweigstelle Köln" in page
    assert listed(page) == codes(maria)
    assert cell(maria.number.national) in page
    # The search form keeps the chosen trunk.
    assert f'name="trunk" value="{koeln.code}"' in page


def overview_rows(page: str) -> list[str]:
    return re.findall(r"<tr><td[^>]*><a href=.*?</tr>", page, re.S)


def test_the_overview_searches_all_trunks_with_a_sip_trunk_column(
    alice_client, alice, trunk, team, demo_customer
):
    koeln = make_trunk(demo_customer, "Zweigstelle Köln", "+4922155500", 10, 99)
    maria = order_new_workplace(
        alice_client, alice, koeln, username="maria.koch", first_name="Maria", last_name="Koch"
    )
    # Nothing chosen yet: all trunks, each row naming its trunk.
    page = alice_client.get(OVERVIEW).content.decode()
    assert 'href="?trunk=alle" aria-current="page">Alle SIP-Trunks' in page
    assert "Arbeitsplätze auf allen SIP-Trunks" in page
    assert listed(page) == codes(maria, *team.values())
    assert '<th scope="col">SIP-Trunk</th>' in page.split('id="list-heading"')[1]
    rows = overview_rows(page)
    assert 'data-label="SIP-Trunk">Zweigstelle Köln</td>' in next(
        r for r in rows if str(maria.code) in r
    )
    assert 'data-label="SIP-Trunk">Zentrale Bonn</td>' in next(
        r for r in rows if str(team["anna"].code) in r
    )

    # The search covers every trunk: a name on either, digits on both.
    page = alice_client.get(OVERVIEW, {"trunk": "alle", "q": "Koch"}).content.decode()
    assert listed(page) == codes(maria)
    assert maria.number.e164 == "+492215550010"
    page = alice_client.get(OVERVIEW, {"trunk": "alle", "q": "*10"}).content.decode()
    assert listed(page) == codes(maria, team["joerg"])

    # One trunk shown: no SIP-Trunk column.
    page = alice_client.get(OVERVIEW, {"trunk": koeln.code}).content.decode()
    assert '<th scope="col">SIP-Trunk</th>' not in page.split('id="list-heading"')[1]


def test_the_overview_remembers_the_trunk_chosen_last(
    alice_client, alice, trunk, team, demo_customer
):
    koeln = make_trunk(demo_customer, "Zweigstelle Köln", "+4922155500", 10, 99)
    maria = order_new_workplace(
        alice_client, alice, koeln, username="maria.koch", first_name="Maria", last_name="Koch"
    )
    alice_client.get(OVERVIEW, {"trunk": koeln.code})
    page = alice_client.get(OVERVIEW).content.decode()
    assert f'href="?trunk={koeln.code}" aria-current="page">Zweigstelle Köln' in page
    assert listed(page) == codes(maria)
    # The export without a trunk takes the remembered one, too.
    assert [row[2] for row in csv_rows(alice_client.get(EXPORT))[1:]] == ["maria.koch"]

    alice_client.get(OVERVIEW, {"trunk": "alle"})
    assert listed(alice_client.get(OVERVIEW).content.decode()) == codes(maria, *team.values())
    # Another browser of the same admin starts afresh with all trunks.
    other = Client()
    other.force_login(alice)
    assert listed(other.get(OVERVIEW).content.decode()) == codes(maria, *team.values())


def test_filter_zuruecksetzen_clears_search_and_filters_but_keeps_the_trunk(
    alice_client, trunk, team
):
    page = alice_client.get(OVERVIEW).content.decode()
    assert "Filter zurücksetzen" not in page
    page = alice_client.get(OVERVIEW, {"q": "Schmidt", "package": "none"}).content.decode()
    link = re.search(r'<a class="filters-reset" href="([^"]*)">Filter zurücksetzen</a>', page)
    assert html.unescape(link.group(1)) == f"?trunk={trunk.code}"
    assert listed(page) == codes(team["anna"])
    page = alice_client.get(OVERVIEW + html.unescape(link.group(1))).content.decode()
    assert listed(page) == codes(*team.values())
    assert 'value="Schmidt"' not in page


SEARCHES = [
    ("Müller", {"joerg"}),  # last name
    ("schmidt", {"anna"}),  # case does not matter
    ("Ben", {"ben"}),  # first name
    ("anna.sch", {"anna"}),  # part of the username
    ("B.WEBER", {"ben"}),
    ("0228 181234-11", {"anna"}),  # national form, as printed in the list
    ("0228 18123411", {"anna"}),
    ("+49 228 181234-10", {"joerg"}),  # international form
    ("0049 228 181234 12", {"ben"}),
    ("+4922818123412", {"ben"}),  # E.164
    ("*1234-12", {"ben"}),  # digits anywhere
    ("181234", {"joerg", "anna", "ben"}),  # digits without a leading 0: anywhere
    ("0228 181234-1", {"joerg", "anna", "ben"}),  # a prefix of all three
    ("0221", set()),  # another area code
    ("niemand", set()),
]


def test_the_overview_searches_name_username_and_number(alice_client, team, trunk):
    wrong = []
    for query, who in SEARCHES:
        response = alice_client.get(OVERVIEW, {"trunk": trunk.code, "q": query})
        assert response.status_code == 200
        page = response.content.decode()
        if listed(page) != codes(*(team[name] for name in who)):
            wrong.append(query)
        if not who:
            assert "Kein Arbeitsplatz passt zu Ihrer Suche." in page
            assert "Noch keine Arbeitsplätze." not in page
    assert not wrong, f"wrong rows for {wrong}"


def test_the_overview_filters_by_status_and_package(alice_client, alice, team):
    joerg, anna, ben = team["joerg"], team["anna"], team["ben"]
    lifecycle.schedule_deletion(
        workplace=anna, actor=Actor.for_admin(alice), on=anna.earliest_deletion_on()
    )
    lifecycle.delete_workplace(workplace=ben, actor=Actor.for_admin(alice), today=AFTER_TERM)

    def shown(**params):
        response = alice_client.get(OVERVIEW, params)
        assert response.status_code == 200
        return listed(response.content.decode())

    # Without a status filter deleted workplaces are left out.
    assert shown() == codes(joerg, anna)
    assert shown(status="active") == codes(joerg)
    assert shown(status="cancel_scheduled") == codes(anna)
    assert shown(status="deleted") == codes(ben)
    assert shown(package="konferenz-plus") == codes(joerg)
    assert shown(package="none") == codes(anna)  # Ben's package ended with the deletion
    assert shown(package="none", status="deleted") == codes(ben)
    assert shown(package="konferenz-premium") == set()
    assert shown(package="konferenz-plus", q="Schmidt") == set()

    page = alice_client.get(OVERVIEW, {"status": "cancel_scheduled"}).content.decode()
    assert "◔</span> Kündigung vorgemerkt 01.04.2026" in page
    page = alice_client.get(OVERVIEW, {"status": "deleted"}).content.decode()
    assert "✗</span> Gelöscht" in page
    # The filters offer every status and package, with words.
    page = alice_client.get(OVERVIEW).content.decode()
    for option in ("Aktiv", "Kündigung vorgemerkt", "Gelöscht", "Kein Konferenzpaket"):
        assert f">{option}</option>" in page
    for package in Package.objects.conference():
        assert f'<option value="{package.code}">{package.name}</option>' in page


def test_a_filter_value_that_does_not_exist_is_an_error_next_to_the_field(alice_client, team):
    response = alice_client.get(OVERVIEW, {"status": "geloescht", "package": "gold"})
    assert response.status_code == 200
    page = response.content.decode()
    assert field_errors(page, "status") and field_errors(page, "package")
    assert listed(page) == codes(*team.values())  # the list is shown unfiltered


@pytest.mark.parametrize(
    ("params", "rows", "pages"),
    [
        ({}, 15, 5),
        ({"per_page": "15"}, 15, 5),
        ({"per_page": "30"}, 30, 3),
        ({"per_page": "60"}, 60, 2),
        ({"per_page": "60", "page": "2"}, 1, 2),
        ({"per_page": "30", "page": "3"}, 1, 3),
        ({"per_page": "30", "page": "99"}, 1, 3),  # past the end: the last page
        ({"per_page": "1000"}, 15, 5),  # not offered: the default
    ],
)
def test_the_overview_shows_15_30_or_60_rows_per_page(
    alice_client, alice, trunk, params, rows, pages
):
    bulk_workplaces(trunk, alice, 61)
    response = alice_client.get(OVERVIEW, {"trunk": trunk.code, **params})
    assert response.status_code == 200
    page = response.content.decode()
    assert len(listed(page)) == rows
    assert f"von {pages}</span>" in page
    assert "(61 Arbeitsplätze)" in page
    for size in ("15", "30", "60"):
        assert f'<option value="{size}"' in page


def test_paging_links_keep_the_search_and_the_page_size(alice_client, alice, trunk):
    bulk_workplaces(trunk, alice, 61)
    page = alice_client.get(
        OVERVIEW, {"trunk": trunk.code, "q": "Person", "per_page": "30"}
    ).content.decode()
    [link] = re.findall(r'href="([^"]*)" rel="next"', page)
    link = html.unescape(link)
    assert "q=Person" in link and "per_page=30" in link and "page=2" in link
    assert f"trunk={trunk.code}" in link
    # Page 2 follows on from page 1 without overlap.
    second = alice_client.get(OVERVIEW + link).content.decode()
    assert len(listed(second)) == 30 and not listed(second) & listed(page)


def test_unfinished_setups_are_listed_with_einrichtung_fortsetzen(
    alice_client, bob_client, trunk, team
):
    draft = start_draft(
        alice_client,
        trunk,
        {
            **dict.fromkeys(("street", "house_number", "postcode", "city", "email"), ""),
            "first_name": "Erika",
            "last_name": "Entwurf",
            "street": "Am Hof",
            "house_number": "1",
            "postcode": "53113",
            "city": "Bonn",
        },
    )
    page = alice_client.get(OVERVIEW).content.decode()
    assert "Unfertige Einrichtungen" in page
    row = re.search(r"<tr><td[^>]*>Erika Entwurf</td>.*?</tr>", page, re.S).group(0)
    assert "Zentrale Bonn" in row and "In Einrichtung" in row
    resume = reverse("wizard:step", args=[draft.code, "weiter"])
    assert f'<a href="{resume}">Einrichtung fortsetzen</a>' in row
    # "Fortsetzen" opens the first step that is not done yet.
    response = alice_client.get(resume)
    assert response.status_code == 302
    assert response["Location"].endswith("/benutzeranmeldung/")
    # Drafts are personal: bob does not see alice's.
    assert "Erika Entwurf" not in bob_client.get(OVERVIEW).content.decode()
    # A draft is not a workplace: it is not in the list, nor in the CSV.
    assert listed(page) == codes(*team.values())


def test_without_workplaces_the_overview_says_what_to_do_next(alice_client, trunk):
    page = alice_client.get(OVERVIEW).content.decode()
    assert "Noch keine Arbeitsplätze." in page
    assert f'<a href="{reverse("wizard:start")}">SIP-Trunk Arbeitsplatz einrichten</a>' in page


def test_a_customer_without_trunks_gets_an_overview_without_a_list(alice_client, demo_customer):
    response = alice_client.get(OVERVIEW)
    assert response.status_code == 200
    assert "Arbeitsplätze auf" not in response.content.decode()
    rows = csv_rows(alice_client.get(EXPORT))
    assert len(rows) == 1  # the header only


# --- CSV export ----------------------------------------------------------------------------


HEADER = [
    "Nachname",
    "Vorname",
    "Benutzername",
    "Rufnummer",
    "Konferenzpaket",
    "Status",
    "E-Mail-Adresse zur Authentifizierung",
    "Mobilfunknummer",
]


def test_the_list_can_be_exported_as_csv_for_excel(alice_client, trunk, team):
    page = alice_client.get(OVERVIEW).content.decode()
    assert "Liste als CSV herunterladen" in page
    response = alice_client.get(EXPORT, {"trunk": trunk.code})
    assert response["Content-Disposition"] == (
        'attachment; filename="arbeitsplaetze-Zentrale-Bonn-2026-03-02.csv"'
    )
    rows = csv_rows(response)
    assert rows == [
        HEADER,
        [
            "Müller",
            "Jörg",
            "joerg.mueller",
            "0228 181234-10",
            "Konferenz Plus",
            "Aktiv",
            "joerg@example.com",
            "0170 1234567",
        ],
        ["Schmidt", "Anna", "anna.schmidt", "0228 181234-11", "", "Aktiv", "joerg@example.com", ""],
        [
            "Weber",
            "Ben",
            "b.weber",
            "0228 181234-12",
            "Konferenz Premium",
            "Aktiv",
            "joerg@example.com",
            "0170 1234567",
        ],
    ]


def test_the_export_honours_trunk_search_and_filters_but_not_the_page_size(
    alice_client, alice, trunk, team, demo_customer
):
    lifecycle.delete_workplace(
        workplace=team["ben"], actor=Actor.for_admin(alice), today=AFTER_TERM
    )
    koeln = make_trunk(demo_customer, "Zweigstelle Köln", "+4922155500", 10, 99)
    order_new_workplace(
        alice_client, alice, koeln, username="maria.koch", first_name="Maria", last_name="Koch"
    )

    def usernames(**params):
        return [row[2] for row in csv_rows(alice_client.get(EXPORT, params))[1:]]

    assert usernames(trunk=trunk.code) == ["joerg.mueller", "anna.schmidt"]
    # All trunks, as the overview offers them, with a SIP-Trunk column first.
    everything = csv_rows(alice_client.get(EXPORT, {"trunk": "alle"}))
    assert everything[0][:2] == ["SIP-Trunk", "Nachname"]
    assert [(row[0], row[3]) for row in everything[1:]] == [
        ("Zweigstelle Köln", "maria.koch"),
        ("Zentrale Bonn", "joerg.mueller"),
        ("Zentrale Bonn", "anna.schmidt"),
    ]
    koch = csv_rows(alice_client.get(EXPORT, {"trunk": "alle", "q": "Koch"}))
    assert [row[3] for row in koch[1:]] == ["maria.koch"]
    filename = alice_client.get(EXPORT, {"trunk": "alle"})["Content-Disposition"]
    assert filename == 'attachment; filename="arbeitsplaetze-alle-2026-03-02.csv"'
    assert usernames(trunk=koeln.code) == ["maria.koch"]
    assert usernames(trunk=trunk.code, q="0228 181234-11") == ["anna.schmidt"]
    assert usernames(trunk=trunk.code, q="Müller") == ["joerg.mueller"]
    assert usernames(trunk=trunk.code, package="none") == ["anna.schmidt"]
    assert usernames(trunk=trunk.code, status="deleted") == ["b.weber"]
    deleted = csv_rows(alice_client.get(EXPORT, {"trunk": trunk.code, "status": "deleted"}))[1]
    assert deleted[3:6] == ["", "", "Gelöscht"]  # its number is free again, its package ended
    filename = alice_client.get(EXPORT, {"trunk": koeln.code})["Content-Disposition"]
    assert filename == 'attachment; filename="arbeitsplaetze-Zweigstelle-K_ln-2026-03-02.csv"'

    # The overview's link carries the search and the filters to the export.
    page = alice_client.get(
        OVERVIEW, {"trunk": trunk.code, "q": "Schmidt", "package": "none"}
    ).content.decode()
    link = html.unescape(re.search(r'<a href="([^"]*export\.csv[^"]*)"', page).group(1))
    assert [row[2] for row in csv_rows(alice_client.get(link))[1:]] == ["anna.schmidt"]


def test_the_export_has_every_row_not_one_page(alice_client, alice, trunk):
    bulk_workplaces(trunk, alice, 61)
    rows = csv_rows(alice_client.get(EXPORT, {"trunk": trunk.code, "per_page": "15"}))
    assert len(rows) == 62


# --- Detail and edit -----------------------------------------------------------------------


def test_the_detail_page_shows_the_workplace_and_the_username_read_only_with_the_reason(
    alice_client, team
):
    joerg = team["joerg"]
    page = alice_client.get(detail_url(joerg)).content.decode()
    assert "<h1>Jörg Müller</h1>" in page
    assert "<strong>joerg.mueller</strong>" in page and USERNAME_REASON in page
    assert "Friedrich-Ebert-Allee 140, 53113 Bonn" in page
    assert "joerg@example.com" in page
    assert "per SMS an 0170 1234567" in page, "the mobile number as people write it"
    assert "<dd>0228 181234-10</dd>" in page
    assert "Konferenz Plus" in page
    assert "gebucht am 02.03.2026; kleiner oder kündbar ab 01.04.2026" in page
    for action in ("Bearbeiten", "Paket ändern", "Passwort zurücksetzen", "Löschen"):
        assert f">{action}</" in page
    page = alice_client.get(detail_url(team["anna"])).content.decode()
    assert "Authentifizierung ohne Mobilfunknummer: per E-Mail" in page
    assert "Kein Konferenzpaket" in page


def edit_url(workplace: Workplace) -> str:
    return reverse("manage:edit", args=[workplace.code])


def test_the_edit_form_shows_the_data_and_the_username_without_an_input(alice_client, team):
    page = alice_client.get(edit_url(team["joerg"])).content.decode()
    assert 'name="first_name" value="Jörg"' in page
    assert 'name="auth_email_repeat" value="joerg@example.com"' in page
    assert 'name="auth_email" value="joerg@example.com"' in page
    assert 'name="mobile" value="0170 1234567"' in page  # as people write it
    assert 'name="username"' not in page
    assert "<strong>joerg.mueller</strong>" in page and USERNAME_REASON in page
    page = alice_client.get(edit_url(team["anna"])).content.decode()
    assert re.search(r'name="without_mobile"[^>]*checked', page)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"auth_email": "neu@example.com", "auth_email_repeat": "alt@example.com"},
            "auth_email_repeat",
            "Die beiden E-Mail-Adressen stimmen nicht überein.",
        ),
        (
            {"auth_email": "", "auth_email_repeat": ""},
            "auth_email",
            "Bitte geben Sie die E-Mail-Adresse zur Authentifizierung ein.",
        ),
        (
            {"auth_email": "kein-at-zeichen", "auth_email_repeat": "kein-at-zeichen"},
            "auth_email",
            "Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@firma.de.",
        ),
        (
            {"mobile": "0228 181234"},
            "mobile",
            "Das ist keine Mobilfunknummer; die SMS kann nur an ein Handy gehen.",
        ),
        (
            {"mobile": ""},
            "mobile",
            "Bitte geben Sie eine Mobilfunknummer ein, oder wählen Sie "
            "„Authentifizierung ohne Mobilfunknummer“.",
        ),
        (
            {"mobile": "0170 1234567", "without_mobile": "on"},
            "mobile",
            "Sie haben „Authentifizierung ohne Mobilfunknummer“ gewählt. Lassen Sie dieses Feld "
            "leer oder entfernen Sie das Häkchen.",
        ),
        (
            {"first_name": "R2D2"},
            "first_name",
            "Bitte nur Buchstaben, Leerzeichen, Bindestrich, Punkt oder Apostroph.",
        ),
        ({"postcode": "5311"}, "postcode", None),
        ({"house_number": "zwölf"}, "house_number", None),
        ({"last_name": ""}, "last_name", None),
    ],
)
def test_editing_validates_like_the_wizard_with_german_messages_next_to_the_fields(
    alice_client, joerg, changes, field, message
):
    response = alice_client.post(edit_url(joerg), edit_data(joerg, **changes))
    assert response.status_code == 200
    errors = field_errors(response.content.decode(), field)
    assert errors, f"no error next to {field}"
    if message:
        assert errors == [message]
    # Nothing was saved, and nothing was recorded.
    assert Workplace.objects.get(pk=joerg.pk).auth_email == "joerg@example.com"
    assert Workplace.objects.get(pk=joerg.pk).mobile == "+491701234567"
    assert not AuditEvent.objects.filter(action="workplace_edited").exists()


def test_editing_saves_the_data_and_the_login_follows_the_new_auth_email(alice_client, joerg):
    data = edit_data(
        joerg,
        street="Poppelsdorfer Allee",
        house_number="12a",
        auth_email="Joerg.Neu@Example.com",
        auth_email_repeat="joerg.neu@example.com",
        mobile="0171 7654321",
        username="hacker",  # not a field of the form: ignored
    )
    response = alice_client.post(edit_url(joerg), data)
    assert response.status_code == 302 and response["Location"] == detail_url(joerg)
    joerg.refresh_from_db()
    assert joerg.street == "Poppelsdorfer Allee" and joerg.house_number == "12a"
    assert joerg.auth_email == "Joerg.Neu@example.com"  # the domain normalised, as in the wizard
    assert joerg.mobile == "+491717654321"
    assert joerg.username == "joerg.mueller"
    joerg.user.refresh_from_db()
    assert joerg.user.email == joerg.auth_email
    assert joerg.user.username == "joerg.mueller"
    [event] = AuditEvent.objects.filter(action="workplace_edited")
    assert event.actor.username == "alice" and event.object_code == str(joerg.code)
    assert set(event.details["fields"]) == {"street", "house_number", "auth_email", "mobile"}
    page = alice_client.get(detail_url(joerg)).content.decode()
    assert "Die Änderungen sind gespeichert." in page
    assert "Poppelsdorfer Allee 12a" in page and "Joerg.Neu@example.com" in page


def test_switching_to_without_mobile_sends_passwords_by_email_from_then_on(alice_client, joerg):
    response = alice_client.post(edit_url(joerg), edit_data(joerg, mobile="", without_mobile="on"))
    assert response.status_code == 302
    joerg.refresh_from_db()
    assert joerg.mobile == "" and not joerg.password_by_sms


def form_values(page: str) -> dict:
    """What a browser submits for the form as shown: text inputs and ticked boxes."""
    values = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrfmiddlewaretoken":
            continue
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                values[name.group(1)] = "on"
            continue
        value = re.search(r'value="([^"]*)"', tag)
        values[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return values


@pytest.mark.parametrize("who", ["joerg", "anna"])
def test_saving_the_form_as_shown_changes_and_records_nothing(alice_client, team, who):
    workplace = team[who]
    data = form_values(alice_client.get(edit_url(workplace)).content.decode())
    response = alice_client.post(edit_url(workplace), data)
    assert response.status_code == 302, field_errors(response.content.decode(), "mobile")
    assert not AuditEvent.objects.filter(action="workplace_edited").exists()
    saved = Workplace.objects.get(pk=workplace.pk)
    assert (saved.auth_email, saved.mobile) == (workplace.auth_email, workplace.mobile)


def test_a_deleted_workplace_keeps_its_page_but_cannot_be_changed(alice_client, alice, joerg):
    lifecycle.delete_workplace(workplace=joerg, actor=Actor.for_admin(alice), today=AFTER_TERM)
    page = alice_client.get(detail_url(joerg)).content.decode()
    assert "✗</span> Gelöscht" in page and "joerg.mueller" in page
    assert ">Bearbeiten<" not in page and ">Löschen<" not in page
    for url in (
        edit_url(joerg),
        reverse("orders:change_package", args=[joerg.code]),
        reverse("orders:delete", args=[joerg.code]),
    ):
        response = alice_client.get(url)
        assert response["Location"] == detail_url(joerg)
    response = alice_client.post(edit_url(joerg), edit_data(joerg, first_name="Neu"))
    assert response["Location"] == detail_url(joerg)
    assert Workplace.objects.get(pk=joerg.pk).first_name == "Jörg"
    for send in (alice_client.get, alice_client.post):
        response = send(reverse("manage:reset_password", args=[joerg.code]))
        assert response["Location"] == detail_url(joerg)
    assert "kann nicht mehr geändert werden" in alice_client.get(detail_url(joerg)).content.decode()
    with pytest.raises(Refusal):
        credentials.reset_password(workplace=joerg, actor=Actor.for_admin(alice))
    with pytest.raises(Refusal):
        lifecycle.update_workplace(
            workplace=joerg, data=edit_data(joerg), actor=Actor.for_admin(alice)
        )
    assert not Notification.objects.filter(kind__startswith="password_reset").exists()


# --- Password reset by the admin -----------------------------------------------------------


def reset_url(workplace: Workplace) -> str:
    return reverse("manage:reset_password", args=[workplace.code])


def test_the_reset_asks_first_and_says_where_the_new_password_goes(alice_client, team):
    joerg = team["joerg"]
    password_before = joerg.user.password
    detail = alice_client.get(detail_url(joerg)).content.decode()
    assert f'href="{reset_url(joerg)}"' in detail, "a link to the confirmation, not a POST"
    page = alice_client.get(reset_url(joerg)).content.decode()
    assert "Passwort von Jörg Müller zurücksetzen?" in page
    assert "Das bisherige Passwort von joerg.mueller gilt sofort nicht mehr" in page
    assert "Ein neues temporäres Passwort geht per SMS an 0170 1234567." in page
    assert f'href="{detail_url(joerg)}">Abbrechen</a>' in page
    assert '<button type="submit" class="button button-danger">Passwort zurücksetzen</button>' in (
        page
    )
    joerg.user.refresh_from_db()
    assert joerg.user.password == password_before, "a GET must not touch the password"
    assert not AuditEvent.objects.filter(action="password_reset").exists()
    assert not Notification.objects.filter(kind__startswith="password_reset").exists()
    page = alice_client.get(reset_url(team["anna"])).content.decode()
    assert "Ein neues temporäres Passwort geht per E-Mail an joerg@example.com" in page


def test_a_reset_sends_a_new_password_by_sms_and_the_old_one_stops_at_once(
    alice_client, alice, trunk, django_capture_on_commit_callbacks
):
    joerg = order_new_workplace(
        alice_client,
        alice,
        trunk,
        username="joerg.mueller",
        capture=django_capture_on_commit_callbacks,
    )
    old = sms_password()
    assert joerg.user.check_password(old)
    sent = len(LocmemSmsBackend.outbox)

    # The request commits; the message leaves only afterwards (on commit).
    with django_capture_on_commit_callbacks() as pending:
        response = alice_client.post(reset_url(joerg))
    assert response.status_code == 302 and response["Location"] == detail_url(joerg)
    joerg.user.refresh_from_db()
    assert not joerg.user.check_password(old), "the old password must stop at once"
    assert not joerg.user.has_usable_password() and joerg.user.must_change_password
    assert len(LocmemSmsBackend.outbox) == sent

    for callback in pending:
        callback()
    [sms] = LocmemSmsBackend.outbox[sent:]
    assert sms["to"] == "+491701234567"
    assert "neues temporäres Passwort für joerg.mueller" in sms["body"]
    new = sms_password()
    joerg.user.refresh_from_db()
    assert new != old and joerg.user.check_password(new) and not joerg.user.check_password(old)
    assert joerg.user.must_change_password
    reset = Notification.objects.get(kind=Notification.Kind.PASSWORD_RESET_SMS)
    assert reset.status == Notification.Status.SENT and new not in str(reset.context)
    assert not reset.keeps_current_password
    event = AuditEvent.objects.get(action="password_reset")
    assert (event.actor, event.remote_addr) == (alice, "127.0.0.1")
    assert not [m for m in mail.outbox if "Passwort" in m.subject and m.to == [joerg.auth_email]][
        1:
    ]  # no password by e-mail on the SMS path

    page = alice_client.get(detail_url(joerg)).content.decode()
    assert (
        "Ein neues temporäres Passwort ist unterwegs (per SMS). Das alte gilt nicht mehr." in page
    )


def test_without_mobile_the_new_password_comes_by_email(
    alice_client, alice, trunk, django_capture_on_commit_callbacks
):
    anna = order_new_workplace(
        alice_client,
        alice,
        trunk,
        username="anna.schmidt",
        first_name="Anna",
        last_name="Schmidt",
        mobile="",
        capture=django_capture_on_commit_callbacks,
    )
    old = mail_password()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reset_url(anna))
    assert response.status_code == 302
    assert LocmemSmsBackend.outbox == []
    [message] = mail.outbox
    assert message.to == ["joerg@example.com"]  # Anna's auth_email (from the shared test data)
    assert message.subject == "Ihr neues temporäres Passwort für MyPortal"
    new = mail_password()
    anna.user.refresh_from_db()
    assert anna.user.check_password(new) and not anna.user.check_password(old)
    page = alice_client.get(detail_url(anna)).content.decode()
    assert "Ein neues temporäres Passwort ist unterwegs (per E-Mail)." in page


def test_a_reset_follows_a_changed_contact(
    alice_client, alice, trunk, django_capture_on_commit_callbacks
):
    joerg = order_new_workplace(alice_client, alice, trunk, username="joerg.mueller")
    alice_client.post(
        edit_url(joerg),
        edit_data(
            joerg,
            mobile="",
            without_mobile="on",
            auth_email="neu@example.com",
            auth_email_repeat="neu@example.com",
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reset_url(joerg))
    assert LocmemSmsBackend.outbox == []
    assert [m.to for m in mail.outbox] == [["neu@example.com"]]


# --- History -------------------------------------------------------------------------------


def test_every_change_is_an_event_with_who_when_and_what_on_the_detail_page(
    alice_client, bob_client, alice, time_machine, team
):
    joerg = team["joerg"]
    time_machine.move_to(DAY_0.replace(hour=10, minute=15), tick=False)
    bob_client.post(edit_url(joerg), edit_data(joerg, city="Köln", postcode="50667"))
    time_machine.move_to(DAY_0.replace(hour=11, minute=30), tick=False)
    alice_client.post(reset_url(joerg))
    time_machine.move_to(DAY_0.replace(hour=12), tick=False)
    alice_client.post(reverse("orders:delete", args=[joerg.code]))  # inside the term: scheduled

    events = list(lifecycle.events_of(joerg).order_by("created_at", "pk"))
    assert [e.action for e in events] == [
        "workplace_created",
        "workplace_edited",
        "password_reset",
        "deletion_scheduled",
    ]
    assert [e.actor.username for e in events] == ["alice", "bob", "alice", "alice"]
    page = alice_client.get(detail_url(joerg)).content.decode()
    history = page[page.index('id="history-heading"') :]
    rows = re.findall(r"<tr>" + r"<td[^>]*>(.*?)</td>" * 4 + "</tr>", history)
    assert [r[:3] for r in rows] == [  # newest first
        ("02.03.2026 12:00", "Alice", "Kündigung vorgemerkt"),
        ("02.03.2026 11:30", "Alice", "Passwort zurückgesetzt"),
        ("02.03.2026 10:15", "Bob", "Bearbeitet"),
        ("02.03.2026 09:00", "Alice", "Eingerichtet"),
    ]
    what = [html.unescape(r[3]) for r in rows]
    assert what[0] == "Kündigung von joerg.mueller vorgemerkt zum 01.04.2026"
    assert what[1] == "Passwort von joerg.mueller zurückgesetzt"
    assert (
        what[2].startswith("joerg.mueller bearbeitet: ") and "PLZ" in what[2] and "Ort" in what[2]
    )
    assert what[3].startswith("Arbeitsplatz Jörg Müller (joerg.mueller) eingerichtet ")
    order = Order.objects.get(items__workplace=joerg)
    assert what[3].endswith(  # the order that set it up, linked
        f' <a href="{reverse("orders:detail", args=[order.code])}">Auftrag {order.number}</a>'
    )
    # Another workplace's history is its own.
    anna_page = alice_client.get(detail_url(team["anna"])).content.decode()
    assert "joerg.mueller" not in anna_page[anna_page.index('id="history-heading"') :]


# --- Access --------------------------------------------------------------------------------


@pytest.fixture
def foreign(alice, joerg):
    """Alice's workplace with a package change in alice's cart: what charlie reaches for."""
    change = order_services.add_package_change(
        actor=Actor.for_admin(alice),
        workplace=joerg,
        package=Package.objects.get(code="konferenz-premium"),
    )
    return joerg, change


def _requests(joerg: Workplace, change: CartChange) -> dict[str, tuple[str, str, dict]]:
    code = joerg.code
    return {
        "detail": ("get", detail_url(joerg), {}),
        "edit GET": ("get", edit_url(joerg), {}),
        "edit POST": ("post", edit_url(joerg), edit_data(joerg, first_name="Charlie")),
        "package GET": ("get", reverse("orders:change_package", args=[code]), {}),
        "package POST": (
            "post",
            reverse("orders:change_package", args=[code]),
            {"package": "konferenz-premium"},
        ),
        "delete GET": ("get", reverse("orders:delete", args=[code]), {}),
        "delete POST": ("post", reverse("orders:delete", args=[code]), {}),
        "reset POST": ("post", reset_url(joerg), {}),
        "export with alice's trunk": ("get", EXPORT, {"trunk": str(joerg.trunk.code)}),
        "overview with alice's trunk": ("get", OVERVIEW, {"trunk": str(joerg.trunk.code)}),
        "remove change POST": ("post", reverse("orders:remove_change", args=[change.code]), {}),
    }


REQUESTS = [
    "detail",
    "edit GET",
    "edit POST",
    "package GET",
    "package POST",
    "delete GET",
    "delete POST",
    "reset POST",
    "export with alice's trunk",
    "overview with alice's trunk",
    "remove change POST",
]


@pytest.mark.parametrize("name", REQUESTS)
def test_charlie_of_another_customer_gets_404_and_changes_nothing(
    charlie_client, charlie, other_trunk, foreign, name
):
    joerg, change = foreign
    method, url, data = _requests(joerg, change)[name]
    before = AuditEvent.objects.count()
    password = joerg.user.password
    response = getattr(charlie_client, method)(url, data)
    assert response.status_code == 404
    joerg.refresh_from_db()
    assert joerg.first_name == "Jörg" and joerg.status == Workplace.Status.ACTIVE
    joerg.user.refresh_from_db()
    assert joerg.user.password == password
    assert CartChange.objects.filter(pk=change.pk).exists()
    assert not CartChange.objects.filter(owner=charlie).exists()
    assert not Order.objects.filter(placed_by=charlie).exists()
    assert AuditEvent.objects.count() == before
    assert not Notification.objects.filter(kind__startswith="password_reset").exists()


def test_charlie_sees_neither_alices_workplaces_nor_her_drafts(
    charlie_client, alice_client, other_trunk, team, trunk
):
    start_draft(alice_client, trunk)
    page = charlie_client.get(OVERVIEW).content.decode()
    assert "Hauptsitz Köln" in page and "Zentrale Bonn" not in page
    assert not listed(page) and "Jörg Müller" not in page
    assert [r[2] for r in csv_rows(charlie_client.get(EXPORT))[1:]] == []
    assert SetupDraft.objects.filter(created_by__username="alice").exists()


def test_bob_of_the_same_customer_manages_the_workplaces_but_not_alices_cart(bob_client, foreign):
    joerg, change = foreign
    assert bob_client.get(detail_url(joerg)).status_code == 200
    assert listed(bob_client.get(OVERVIEW).content.decode()) >= codes(joerg)
    response = bob_client.post(reverse("orders:remove_change", args=[change.code]))
    assert response.status_code == 404  # carts are personal
    assert CartChange.objects.filter(pk=change.pk).exists()


@pytest.mark.parametrize(
    "url",
    [
        lambda w: detail_url(w),
        lambda w: edit_url(w),
        lambda w: reverse("orders:change_package", args=[w.code]),
        lambda w: reverse("orders:delete", args=[w.code]),
        lambda w: OVERVIEW,
        lambda w: EXPORT,
    ],
)
def test_visitors_are_sent_to_the_login(client, joerg, url):
    response = client.get(url(joerg))
    assert response.status_code == 302 and "/anmelden/" in response["Location"]


def test_a_malformed_code_is_a_404(alice_client, joerg):
    for url in ("/sip-trunk/arbeitsplaetze/kein-uuid/", "/sip-trunk/arbeitsplaetze/1/bearbeiten/"):
        assert alice_client.get(url).status_code == 404
    assert alice_client.get(OVERVIEW, {"trunk": "kein-uuid"}).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        lambda w, c: reverse("manage:withdraw_cancellation", args=[w.code]),
        lambda w, c: reverse("orders:remove_change", args=[c.code]),
    ],
)
def test_actions_without_a_page_of_their_own_only_accept_post(alice_client, foreign, url):
    joerg, change = foreign
    assert alice_client.get(url(joerg, change)).status_code == 405
    assert not Notification.objects.filter(kind__startswith="password_reset").exists()
    assert not AuditEvent.objects.filter(action="password_reset").exists()
    assert CartChange.objects.filter(pk=change.pk).exists()


def test_pages_of_actions_change_nothing_on_get(alice_client, foreign):
    joerg, _change = foreign
    for url in (
        edit_url(joerg),
        reverse("orders:change_package", args=[joerg.code]),
        reverse("orders:delete", args=[joerg.code]),
        reset_url(joerg),
    ):
        assert alice_client.get(url, {"package": "none"}).status_code == 200
    assert not AuditEvent.objects.filter(action="password_reset").exists()
    joerg.refresh_from_db()
    assert joerg.status == Workplace.Status.ACTIVE and joerg.package.code == "konferenz-plus"
    assert CartChange.objects.count() == 1 and not Order.objects.filter(items__kind="deletion")


def test_state_changes_need_the_csrf_token(alice, joerg):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    posts = {
        "reset": (reset_url(joerg), {}),
        "edit": (edit_url(joerg), edit_data(joerg, first_name="Ohne")),
        "package": (
            reverse("orders:change_package", args=[joerg.code]),
            {"package": "konferenz-premium"},
        ),
        "delete": (reverse("orders:delete", args=[joerg.code]), {}),
    }
    for name, (url, data) in posts.items():
        assert browser.post(url, data).status_code == 403, name
    joerg.refresh_from_db()
    assert joerg.first_name == "Jörg" and joerg.status == Workplace.Status.ACTIVE
    assert not AuditEvent.objects.exclude(action__in=["workplace_created", "order_placed"])
    assert not CartChange.objects.exists()

    # With the token from the page, as a browser sends it, the same requests work.
    page = browser.get(detail_url(joerg)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(reset_url(joerg), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    url, data = posts["package"]
    response = browser.post(url, {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == reverse("orders:cart")
    assert AuditEvent.objects.filter(action="password_reset").count() == 1
    assert CartChange.objects.get().package.code == "konferenz-premium"


def test_the_export_quotes_cells_that_excel_would_run_as_formulas(alice_client, joerg, trunk):
    Workplace.objects.filter(pk=joerg.pk).update(last_name='=HYPERLINK("http://x","y")')
    rows = csv_rows(alice_client.get(EXPORT, {"trunk": trunk.code}))
    assert rows[1][0] == '\'=HYPERLINK("http://x","y")'


def test_the_xlsx_export_takes_the_overviews_scope_and_filters(
    alice_client, alice, trunk, team, demo_customer
):
    koeln = make_trunk(demo_customer, "Zweigstelle Köln", "+4922155500", 10, 99)
    order_new_workplace(
        alice_client, alice, koeln, username="maria.koch", first_name="Maria", last_name="Koch"
    )

    def usernames(**params):
        response = alice_client.get(reverse("manage:export_list"), params)
        assert response.status_code == 200
        return [row.values["username"] for row in read_upload("x.xlsx", response.content).rows]

    assert usernames(trunk="alle") == ["maria.koch", "joerg.mueller", "anna.schmidt", "b.weber"]
    assert usernames(trunk="alle", q="*10") == ["maria.koch", "joerg.mueller"]
    assert usernames(trunk=trunk.code, q="*10") == ["joerg.mueller"]
    assert usernames(trunk=trunk.code, package="none") == ["anna.schmidt"]
    # The overview's link carries scope and filters.
    page = alice_client.get(OVERVIEW, {"trunk": "alle", "q": "Koch"}).content.decode()
    link = html.unescape(re.search(r'<a href="([^"]*export\.xlsx[^"]*)"', page).group(1))
    assert "trunk=alle" in link and "q=Koch" in link
