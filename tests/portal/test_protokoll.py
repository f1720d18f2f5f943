"""The customer-wide "Protokoll" (issue 5): every change with who, when and what, and filters."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from orders.tasks import carry_out_due_deletions
from portal.models import AuditEvent
from tests.manage_helpers import DAY_0, day, order_new_workplace
from workplaces.models import Workplace

PROTOKOLL = reverse("portal:protokoll")
ROW = re.compile(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>")


@pytest.fixture(autouse=True)
def _clock(time_machine, settings):
    settings.SESSION_COOKIE_AGE = 400 * 24 * 3600
    time_machine.move_to(DAY_0, tick=False)


def rows(page: str) -> list[tuple[str, str, str, str]]:
    return [tuple(html.unescape(cell) for cell in row) for row in ROW.findall(page)]


def field_errors(page: str, field: str) -> list[str]:
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []


@pytest.fixture
def history(alice_client, bob_client, alice, bob, trunk, time_machine):
    """A month of changes at Demo GmbH by alice, bob and the periodic task."""
    joerg = order_new_workplace(alice_client, alice, trunk, username="joerg.mueller")
    time_machine.move_to(day(1, hour=10), tick=False)
    anna = order_new_workplace(
        bob_client,
        bob,
        trunk,
        username="anna.schmidt",
        first_name="Anna",
        last_name="Schmidt",
        package="none",
        mobile="",
    )
    time_machine.move_to(day(2, hour=0).replace(minute=30), tick=False)  # 22:30 UTC on day 1
    bob_client.post(
        reverse("manage:edit", args=[joerg.code]),
        {
            "first_name": "Jörg",
            "last_name": "Müller",
            "street": "Am Hof",
            "house_number": "1",
            "postcode": "53113",
            "city": "Bonn",
            "email": "joerg.mueller@example.com",
            "auth_email": "joerg@example.com",
            "auth_email_repeat": "joerg@example.com",
            "mobile": "0170 1234567",
        },
    )
    time_machine.move_to(day(3, hour=14), tick=False)
    alice_client.post(reverse("manage:reset_password", args=[anna.code]))
    time_machine.move_to(day(4, hour=9), tick=False)
    alice_client.post(reverse("orders:delete", args=[joerg.code]))  # scheduled for 01.04.
    time_machine.move_to(day(30, hour=3), tick=False)
    carry_out_due_deletions.delay()
    assert Workplace.objects.get(pk=joerg.pk).status == Workplace.Status.DELETED
    return joerg, anna


def test_the_protokoll_lists_every_change_with_who_when_and_what(alice_client, history):
    response = alice_client.get(PROTOKOLL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Protokoll</h1>" in page
    assert f'<a href="{PROTOKOLL}">Protokoll</a>' in page  # in the main navigation
    got = rows(page)
    assert [(when, who, action) for when, who, action, _what in got] == [
        ("01.04.2026 03:00", "System", "Gelöscht"),
        ("06.03.2026 09:00", "Alice", "Kündigung vorgemerkt"),
        ("05.03.2026 14:00", "Alice", "Passwort zurückgesetzt"),
        ("04.03.2026 00:30", "Bob", "Bearbeitet"),
        ("03.03.2026 10:00", "Bob", "Eingerichtet"),
        ("03.03.2026 10:00", "Bob", "Auftrag bestellt"),
        ("02.03.2026 09:00", "Alice", "Eingerichtet"),
        ("02.03.2026 09:00", "Alice", "Auftrag bestellt"),
    ]
    what = [row[3] for row in got]
    assert what[0] == "joerg.mueller gelöscht; Rufnummer 0228 181234-10 ist wieder frei"
    assert what[1] == "Kündigung von joerg.mueller vorgemerkt zum 01.04.2026"
    assert what[2] == "Passwort von anna.schmidt zurückgesetzt"
    assert what[3] == "joerg.mueller bearbeitet: Straße, Hausnummer"
    assert what[4] == "Arbeitsplatz Anna Schmidt (anna.schmidt) eingerichtet"
    assert re.fullmatch(r"Auftrag \d{4}-\d{6} bestellt", what[5])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"action": "password_reset"}, ["Passwort von anna.schmidt zurückgesetzt"]),
        ({"action": "workplace_deleted"}, ["joerg.mueller gelöscht"]),
        ({"action": "workplace_created"}, ["Arbeitsplatz Anna", "Arbeitsplatz Jörg"]),
        ({"q": "anna.schmidt"}, ["Passwort von anna", "Arbeitsplatz Anna"]),
        ({"q": "bob"}, ["joerg.mueller bearbeitet", "Arbeitsplatz Anna", "Auftrag"]),  # who
        ({"q": "01.04.2026"}, ["Kündigung von joerg.mueller"]),
        ({"q": "niemand"}, []),
        # 00:30 in Berlin on 04.03. is still 03.03. in UTC: the day is the German one.
        (
            {"since": "2026-03-04"},
            ["joerg.mueller gelöscht", "Kündigung", "Passwort", "joerg.mueller bearbeitet"],
        ),
        ({"since": "2026-04-02"}, []),
        ({"action": "workplace_created", "since": "2026-03-03"}, ["Arbeitsplatz Anna"]),
        ({"action": "workplace_edited", "q": "alice"}, []),
    ],
)
def test_the_protokoll_filters_by_action_search_and_date(alice_client, history, params, expected):
    response = alice_client.get(PROTOKOLL, params)
    assert response.status_code == 200
    what = [row[3] for row in rows(response.content.decode())]
    assert len(what) == len(expected), what
    for shown, start in zip(what, expected, strict=True):
        assert shown.startswith(start), (shown, start)
    if not expected:
        assert "Noch keine Einträge." in response.content.decode()


def test_the_action_filter_offers_every_kind_of_change_by_name(alice_client, db, alice):
    page = alice_client.get(PROTOKOLL).content.decode()
    for label in (
        "Eingerichtet",
        "Bearbeitet",
        "Paket geändert",
        "Passwort zurückgesetzt",
        "Kündigung vorgemerkt",
        "Gelöscht",
    ):
        assert f">{label}</option>" in page


@pytest.mark.parametrize(
    ("params", "field"),
    [({"since": "gestern"}, "since"), ({"action": "alles_löschen"}, "action")],
)
def test_bad_filter_input_is_an_error_next_to_the_field_not_a_500(
    alice_client, history, params, field
):
    response = alice_client.get(PROTOKOLL, params)
    assert response.status_code == 200
    page = response.content.decode()
    assert field_errors(page, field)
    assert len(rows(page)) == 8  # unfiltered


def test_a_search_with_odd_characters_is_harmless(alice_client, history):
    for query in ("\x00", "%", "_", "' OR 1=1 --", "ä" * 60):
        response = alice_client.get(PROTOKOLL, {"q": query})
        assert response.status_code == 200, query
    assert rows(alice_client.get(PROTOKOLL, {"q": "%"}).content.decode()) == []


def test_the_protokoll_is_paged_by_50_and_the_links_keep_the_filters(
    alice_client, alice, demo_customer
):
    AuditEvent.objects.bulk_create(
        AuditEvent(
            customer=demo_customer,
            actor=alice,
            action="password_reset",
            object_type="workplace",
            object_code=f"code-{i}",
            summary=f"Passwort von person.{i:03d} zurückgesetzt",
        )
        for i in range(120)
    )
    page = alice_client.get(PROTOKOLL, {"action": "password_reset"}).content.decode()
    assert len(rows(page)) == 50 and "Seite 1 von 3" in page
    link = html.unescape(re.search(r'href="([^"]*)" rel="next"', page).group(1))
    assert "action=password_reset" in link and "page=2" in link
    last = alice_client.get(PROTOKOLL, {"action": "password_reset", "page": "3"}).content.decode()
    assert len(rows(last)) == 20


def test_each_customer_sees_only_its_own_protokoll(
    alice_client, charlie_client, charlie, other_trunk, history
):
    own = order_new_workplace(
        charlie_client, charlie, other_trunk, username="karl.klein", first_name="Karl"
    )
    page = charlie_client.get(PROTOKOLL).content.decode()
    summaries = [row[3] for row in rows(page)]
    assert len(summaries) == 2 and any("karl.klein" in s for s in summaries)
    assert "joerg.mueller" not in page and "anna.schmidt" not in page
    for params in ({"q": "joerg"}, {"q": "alice"}, {"action": "workplace_deleted"}):
        assert rows(charlie_client.get(PROTOKOLL, params).content.decode()) == []
    alice_page = alice_client.get(PROTOKOLL, {"q": "karl"}).content.decode()
    assert rows(alice_page) == [] and str(own.code) not in alice_page


def test_visitors_are_sent_to_the_login(client, db):
    response = client.get(PROTOKOLL)
    assert response.status_code == 302 and "/anmelden/" in response["Location"]
