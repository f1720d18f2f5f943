"""The customer-wide "Protokoll" (issue 5): every change with who, when and what, and filters."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from orders.models import Order
from orders.services import cart_of
from orders.tasks import carry_out_due_deletions
from portal import audit, audit_actions
from portal.models import AuditEvent
from portal.policy import Actor
from tests.manage_helpers import DAY_0, day, edit_data, order_new_workplace
from workplaces.models import Workplace
from workplaces.services import lifecycle
from workplaces.services.lifecycle import EDITABLE_FIELDS

PROTOKOLL = reverse("portal:protokoll")
ROW = re.compile(r"<tr>" + r"<td[^>]*>(.*?)</td>" * 4 + "</tr>")  # cells may carry labels


@pytest.fixture(autouse=True)
def _clock(time_machine, settings):
    settings.SESSION_COOKIE_AGE = 400 * 24 * 3600
    time_machine.move_to(DAY_0, tick=False)


def text(cell: str) -> str:
    """A cell as read, without its links (and without the link to the causing order)."""
    cell = cell.split(' <span class="muted">·</span> ')[0]
    return html.unescape(re.sub(r"<[^>]+>", "", cell))


def rows(page: str) -> list[tuple[str, str, str, str]]:
    return [tuple(text(cell) for cell in row) for row in ROW.findall(page)]


def what_links(page: str) -> list[list[tuple[str, str]]]:
    """Per row, the links in its "Was" cell: (href, text)."""
    return [
        [(html.unescape(href), html.unescape(label)) for href, label in LINK.findall(row[3])]
        for row in ROW.findall(page)
    ]


LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>')


def field_errors(page: str, field: str) -> list[str]:
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []


EDIT_DATA = {
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
}


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
    bob_client.post(reverse("manage:edit", args=[joerg.code]), EDIT_DATA)
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
    assert re.search(rf'<a href="{PROTOKOLL}"[^>]*>Protokoll</a>', page)  # in the main navigation
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


# --- Events as data: rendered in the reader's language --------------------------------------


@pytest.fixture
def written_in_english(
    alice_client, alice, trunk, time_machine, django_capture_on_commit_callbacks
):
    """Alice, who chose English, changes a package, edits and schedules a deletion."""
    joerg = order_new_workplace(alice_client, alice, trunk, username="joerg.mueller")
    anna = order_new_workplace(
        alice_client,
        alice,
        trunk,
        username="anna.schmidt",
        first_name="Anna",
        last_name="Schmidt",
        package="none",
    )
    alice_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    time_machine.move_to(day(1, hour=10), tick=False)
    package_url = reverse("orders:change_package", args=[anna.code])
    assert alice_client.post(package_url, {"package": "konferenz-plus"}).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("orders:place"), {"token": cart_of(alice).token})
    assert response.status_code == 302
    time_machine.move_to(day(2, hour=11), tick=False)
    edit = alice_client.post(reverse("manage:edit", args=[joerg.code]), EDIT_DATA)
    assert edit.status_code == 302
    time_machine.move_to(day(4, hour=9), tick=False)
    assert alice_client.post(reverse("orders:delete", args=[joerg.code])).status_code == 302
    return joerg, anna


def test_an_event_written_in_english_reads_in_german_to_a_german_reader(
    bob_client, written_in_english
):
    got = rows(bob_client.get(PROTOKOLL).content.decode())
    assert [row[2:] for row in got[:3]] == [
        ("Kündigung vorgemerkt", "Kündigung von joerg.mueller vorgemerkt zum 01.04.2026"),
        ("Bearbeitet", "joerg.mueller bearbeitet: Straße, Hausnummer"),
        ("Paket geändert", "Paket von anna.schmidt: Kein Konferenzpaket → Konferenz Plus"),
    ]
    assert got[3][2] == "Auftrag bestellt"
    assert re.fullmatch(r"Auftrag \d{4}-\d{6} bestellt", got[3][3])
    assert got[0][0] == "06.03.2026 09:00"


def test_the_same_events_read_in_english_to_a_reader_who_chose_english(
    alice_client, bob_client, written_in_english
):
    bob_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    for reader in (alice_client, bob_client):
        page = reader.get(PROTOKOLL).content.decode()
        got = rows(page)
        assert [row[2:] for row in got[:3]] == [
            ("Cancellation scheduled", "Cancellation of joerg.mueller scheduled for 01.04.2026"),
            ("Edited", "joerg.mueller edited: Street, House number"),
            (
                "Package changed",
                "Package for anna.schmidt: No conference package → Konferenz Plus",
            ),
        ]
        assert re.fullmatch(r"Order \d{4}-\d{6} placed", got[3][3])
        assert got[0][0] == "06.03.2026 09:00"
        assert ">Cancellation scheduled</option>" in page


def test_the_workplace_history_reads_in_the_readers_language(bob_client, written_in_english):
    joerg, _anna = written_in_english
    detail = reverse("manage:detail", args=[joerg.code])
    german = [row[3] for row in rows(bob_client.get(detail).content.decode())]
    assert german[0] == "Kündigung von joerg.mueller vorgemerkt zum 01.04.2026"
    bob_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = [row[3] for row in rows(bob_client.get(detail).content.decode())]
    assert english[0] == "Cancellation of joerg.mueller scheduled for 01.04.2026"
    assert english[-1] == "Workstation Jörg Müller (joerg.mueller) set up"


def test_an_event_stores_its_parameters_not_a_sentence(written_in_english):
    event = AuditEvent.objects.get(action="package_changed")
    change = Order.objects.get(items__kind="package_change")
    assert event.summary == ""
    assert event.details == {
        "username": "anna.schmidt",
        "before": None,
        "before_code": None,
        "after": "Konferenz Plus",
        "after_code": "konferenz-plus",
        # the order that changed it, for the link (plain data)
        "order": {"code": str(change.code), "number": change.number},
    }
    scheduled = AuditEvent.objects.get(action="deletion_scheduled")
    assert scheduled.details == {"username": "joerg.mueller", "date": "2026-04-01"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("anna.schmidt", ["Paket von anna.schmidt", "Arbeitsplatz Anna"]),
        ("Anna Schmidt", ["Arbeitsplatz Anna"]),
        ("01.04.2026", ["Kündigung von joerg.mueller"]),
        ("2026-04-01", ["Kündigung von joerg.mueller"]),
        ("Konferenz Plus", ["Paket von anna.schmidt"]),
    ],
)
def test_the_search_finds_events_by_their_parameters_in_any_language(
    bob_client, written_in_english, query, expected
):
    what = [row[3] for row in rows(bob_client.get(PROTOKOLL, {"q": query}).content.decode())]
    assert len(what) == len(expected), what
    for shown, start in zip(what, expected, strict=True):
        assert shown.startswith(start), (shown, start)


def test_the_search_finds_an_order_by_its_number(alice_client, history):
    order_event = AuditEvent.objects.filter(action="order_placed").latest("pk")
    number = order_event.details["number"]
    what = [row[3] for row in rows(alice_client.get(PROTOKOLL, {"q": number}).content.decode())]
    assert what == [f"Auftrag {number} bestellt"]


def test_an_event_written_before_events_were_data_is_shown_as_it_was_written(
    alice_client, alice, demo_customer
):
    for summary in ("Passwort von anna.schmidt zurückgesetzt", "Password for bernd.bauer reset"):
        AuditEvent.objects.create(
            customer=demo_customer,
            actor=alice,
            action="password_reset",
            object_type="workplace",
            object_code="old",
            summary=summary,
            search_text=summary,  # as the migration fills it
        )
    german = [row[3] for row in rows(alice_client.get(PROTOKOLL).content.decode())]
    assert german == ["Password for bernd.bauer reset", "Passwort von anna.schmidt zurückgesetzt"]
    alice_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = [row[3] for row in rows(alice_client.get(PROTOKOLL).content.decode())]
    assert english == german
    found = rows(alice_client.get(PROTOKOLL, {"q": "anna.schmidt"}).content.decode())
    assert [row[3] for row in found] == ["Passwort von anna.schmidt zurückgesetzt"]


def test_the_migration_keeps_old_sentences_searchable_and_writes_new_ones_back_in_german(
    transactional_db, demo_customer
):
    before, after = (
        ("portal", "0003_user_temporary_password_set_at"),
        ("portal", "0004_auditevent_params"),
    )
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old_model = executor.loader.project_state([before]).apps.get_model("portal", "AuditEvent")
    old = old_model.objects.create(
        customer_id=demo_customer.pk,
        action="order_placed",
        object_type="order",
        object_code="x",
        summary="Order 2026-000001 placed",
    )
    executor = MigrationExecutor(connection)
    executor.migrate([after])
    # The model as it was then: later migrations add columns the database has not got yet.
    new_model = executor.loader.project_state([after]).apps.get_model("portal", "AuditEvent")
    assert new_model.objects.get(pk=old.pk).search_text == "Order 2026-000001 placed"
    new = new_model.objects.create(
        customer_id=demo_customer.pk,
        action="deletion_scheduled",
        object_type="workplace",
        details={"username": "joerg.mueller", "date": "2026-04-01"},
    )
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    new_summary = old_model.objects.get(pk=new.pk).summary
    assert new_summary == "Kündigung von joerg.mueller vorgemerkt zum 01.04.2026"
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())


def test_every_editable_field_is_named_as_the_workplace_model_names_it():
    assert set(audit_actions.WORKPLACE_FIELDS) == set(EDITABLE_FIELDS)
    for name, label in audit_actions.WORKPLACE_FIELDS.items():
        assert label == Workplace._meta.get_field(name).verbose_name


def test_an_event_without_a_parameter_its_sentence_needs_is_refused(alice, demo_customer):
    with pytest.raises(KeyError):
        audit.record(
            customer_id=demo_customer.pk,
            actor=alice,
            action="deletion_scheduled",
            object_type="workplace",
            object_code="x",
            params={"username": "joerg.mueller"},
        )
    assert not AuditEvent.objects.exists()


def test_protokoll_entries_link_to_the_workplace_and_the_order_they_name(
    alice_client, alice, history
):
    joerg, anna = history
    page = alice_client.get(PROTOKOLL).content.decode()
    links = what_links(page)
    joerg_page = reverse("manage:detail", args=[joerg.code])
    anna_page = reverse("manage:detail", args=[anna.code])
    first, second = Order.objects.filter(customer=alice.customer).order_by("pk")
    # A deleted workplace keeps its page: its entries link there.
    assert links[0][0][0] == joerg_page
    assert links[0][0][1].startswith("joerg.mueller gelöscht")
    assert links[2] == [(anna_page, "Passwort von anna.schmidt zurückgesetzt")]
    # "Eingerichtet" names the workplace and the order that set it up.
    assert links[4] == [
        (anna_page, "Arbeitsplatz Anna Schmidt (anna.schmidt) eingerichtet"),
        (reverse("orders:detail", args=[second.code]), f"Auftrag {second.number}"),
    ]
    assert links[5] == [
        (reverse("orders:detail", args=[second.code]), f"Auftrag {second.number} bestellt")
    ]
    assert links[7] == [
        (reverse("orders:detail", args=[first.code]), f"Auftrag {first.number} bestellt")
    ]
    # Each link opens.
    for href in {href for row in links for href, _label in row}:
        assert alice_client.get(href).status_code == 200


def test_an_entry_whose_workplace_has_no_page_any_more_is_not_linked(alice_client, alice, history):

    # An entry naming a workplace that has no page (here: a code that names nothing).
    audit.record(
        customer_id=alice.customer_id,
        actor=alice,
        action="password_reset",
        object_type="workplace",
        object_code=uuid.uuid4(),
        params={"username": "verschwunden"},
    )
    page = alice_client.get(PROTOKOLL).content.decode()
    assert rows(page)[0][3] == "Passwort von verschwunden zurückgesetzt"
    assert what_links(page)[0] == []
    assert what_links(page)[1] != []  # the others still link


def test_links_never_lead_to_another_customers_objects(
    alice_client, alice, history, charlie, charlie_client
):
    """An event that names a code of another customer (say, a bad import) links nothing."""
    _joerg, anna = history
    audit.record(
        customer_id=charlie.customer_id,
        actor=None,
        action="password_reset",
        object_type="workplace",
        object_code=anna.code,
        params={"username": "anna.schmidt"},
    )
    page = charlie_client.get(PROTOKOLL).content.decode()
    assert rows(page)[0][3] == "Passwort von anna.schmidt zurückgesetzt"
    assert what_links(page)[0] == []


def test_the_workplace_history_links_the_orders_not_itself(alice_client, alice, history):
    _joerg, anna = history
    page = alice_client.get(reverse("manage:detail", args=[anna.code])).content.decode()
    verlauf = page.split('id="history-heading"')[1]
    order = Order.objects.filter(customer=alice.customer).order_by("pk").last()
    links = what_links(verlauf)
    assert links[-1] == [(reverse("orders:detail", args=[order.code]), f"Auftrag {order.number}")]
    assert reverse("manage:detail", args=[anna.code]) not in verlauf


def test_the_protokoll_names_the_key_that_acted(alice_client, alice, trunk):
    actor = Actor.for_api_key(alice, "Personalsystem")
    assert actor.label == "API-Schlüssel Personalsystem"
    audit.record(
        customer_id=alice.customer_id,
        actor=actor,
        action="order_placed",
        object_type="order",
        object_code="x",
        params={"number": "A-1"},
    )
    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_label) == (alice, "API-Schlüssel Personalsystem")
    page = alice_client.get(PROTOKOLL).content.decode()
    assert "API-Schlüssel Personalsystem" in page
    found = alice_client.get(PROTOKOLL, {"q": "Personalsystem"})
    assert "API-Schlüssel Personalsystem" in found.content.decode()


def test_a_change_made_with_a_key_is_labelled_and_one_made_on_a_page_is_not(
    alice_client, alice, trunk
):
    workplace = order_new_workplace(alice_client, alice, trunk, username="jmueller")
    lifecycle.update_workplace(
        workplace=workplace,
        data=edit_data(workplace, city="Köln"),
        actor=Actor.for_api_key(alice, "Personalsystem"),
    )
    lifecycle.update_workplace(
        workplace=workplace, data=edit_data(workplace, city="Bonn"), actor=Actor.for_admin(alice)
    )
    edits = AuditEvent.objects.filter(action="workplace_edited").order_by("id")
    assert [(e.actor, e.actor_label) for e in edits] == [
        (alice, "API-Schlüssel Personalsystem"),
        (alice, ""),
    ]
