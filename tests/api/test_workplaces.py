"""/api/v1/workplaces: the overview, a workplace's page and its edit, for machines (issue 18)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import Notification
from portal.models import AuditEvent
from provisioning.models import RegistrarJob
from tests.api.test_v1 import assert_problem, get, key_for
from tests.conftest import make_trunk
from tests.services.helpers import USER_DATA
from workplaces.models import Workplace
from workplaces.services import lifecycle

WORKPLACES = "/api/v1/workplaces"


def make_workplace(trunk, username: str, extension: str, **fields) -> Workplace:
    values = {
        **USER_DATA,
        "auth_email": f"{username}@example.com",
        "mobile": "+491701234567",
        "status": Workplace.Status.ACTIVE,
        **fields,
    }
    return Workplace.objects.create(
        trunk=trunk, username=username, number=trunk.numbers.get(extension=extension), **values
    )


def message(workplace: Workplace, **fields) -> Notification:
    """A message to the person of ``workplace``: the welcome e-mail unless told otherwise."""
    values = {
        "kind": Notification.Kind.WELCOME,
        "channel": Notification.Channel.EMAIL,
        "recipient": workplace.auth_email,
        **fields,
    }
    return Notification.objects.create(workplace=workplace, **values)


@pytest.fixture
def joerg(trunk, packages):
    return make_workplace(
        trunk,
        "joerg.mueller",
        "10",
        package=packages["konferenz-plus"],
        package_booked_on=dt.date(2026, 3, 2),
        activated_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC),
    )


def url(workplace: Workplace) -> str:
    return f"{WORKPLACES}/{workplace.code}"


def patch(path: str, key: str, body: object):
    return Client().patch(
        path,
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


# --- Reading --------------------------------------------------------------------------------


def test_a_workplace_shows_what_its_page_shows(alice, joerg):
    body = json.loads(get(url(joerg), key_for(alice)).content)
    assert body["created_at"] and body.pop("created_at")
    assert body == {
        "code": str(joerg.code),
        "trunk": {"code": str(joerg.trunk.code), "name": "Zentrale Bonn"},
        "username": "joerg.mueller",
        "status": "active",
        "status_label": "Aktiv",
        **USER_DATA,  # Jörg Müller, Hauptstraße 1, 53111 Bonn
        "email": None,  # none given: null, not ""
        "auth_email": "joerg.mueller@example.com",
        "mobile": {"e164": "+491701234567", "national": "0170 1234567"},
        "number": {"e164": "+4922818123410", "national": "0228 181234-10", "extension": "10"},
        "package": {
            "code": "konferenz-plus",
            "name": "Konferenz Plus",
            "booked_on": "2026-03-02",
            "earliest_downgrade_on": "2026-04-01",
        },
        "activated_at": "2026-03-02T09:00:00Z",
        "cancel_on": None,
        "deleted_at": None,
        "registrar": None,
        "messages": [],
    }


def test_a_workplace_shows_the_registrars_state_and_its_messages(alice, joerg):
    RegistrarJob.objects.create(
        kind=RegistrarJob.Kind.ENSURE,
        username=joerg.username,
        ref=lifecycle.registrar_ref(joerg),
        last_error=RegistrarJob.Error.UNREACHABLE,
        next_attempt_at=dt.datetime(2026, 3, 2, 9, 5, tzinfo=dt.UTC),
    )
    message(joerg, status=Notification.Status.SENT, attempts=1, sent_at=timezone.now())
    message(
        joerg,
        kind=Notification.Kind.PASSWORD_SMS,
        channel=Notification.Channel.SMS,
        recipient="+491701234567",
        status=Notification.Status.FAILED,
        attempts=5,
        last_error="Zustellung abgelehnt",
    )
    body = json.loads(get(url(joerg), key_for(alice)).content)
    assert body["registrar"] == {
        "state": "retrying",
        "kind": "ensure",
        "label": "SIP-Registrar nicht erreichbar, neuer Versuch folgt",
        "reason": "Datenbank des SIP-Registrars nicht erreichbar",
        "next_attempt_at": "2026-03-02T09:05:00Z",
    }
    welcome, password = body["messages"]
    assert (welcome["kind"], welcome["channel"], welcome["status"]) == ("welcome", "email", "sent")
    assert welcome["recipient"] == "j***@example.com" and welcome["last_error"] is None
    assert (password["status"], password["attempts"]) == ("failed", 5)
    assert password["recipient"] == "+49170****567" and password["sent_at"] is None
    assert password["last_error"] == "Zustellung abgelehnt"


def test_a_workplace_without_number_mobile_or_package_says_null(alice, trunk):
    anna = Workplace.objects.create(
        trunk=trunk, username="anna", status=Workplace.Status.PENDING, email="a@example.com"
    )
    body = json.loads(get(url(anna), key_for(alice)).content)
    assert (body["number"], body["mobile"], body["package"]) == (None, None, None)
    assert (body["status"], body["email"]) == ("pending", "a@example.com")


def test_the_list_searches_and_filters_as_the_overview(alice, joerg, trunk, demo_customer):
    make_workplace(trunk, "anna.schmidt", "11", first_name="Anna", last_name="Schmidt")
    make_workplace(trunk, "old", "12", last_name="Alt", status=Workplace.Status.DELETED)
    berlin = make_trunk(demo_customer, "Filiale Berlin", "+4930123456", 10, 19)
    make_workplace(berlin, "b.weber", "10", first_name="Ben", last_name="Weber")
    raw_key = key_for(alice)

    def usernames(**params) -> list[str]:
        response = get(WORKPLACES, raw_key, **params)
        assert response.status_code == 200, response.content
        return [item["username"] for item in json.loads(response.content)["items"]]

    # Without a status: all but the deleted ones, by last and first name, across the trunks.
    assert usernames() == ["joerg.mueller", "anna.schmidt", "b.weber"]
    assert usernames(trunk=str(berlin.code)) == ["b.weber"]
    assert usernames(status="deleted") == ["old"]
    assert usernames(q="schmi") == ["anna.schmidt"]
    assert usernames(q="0228 181234-10") == ["joerg.mueller"]
    assert usernames(q="*1234567") == []  # the number, not the mobile
    assert usernames(q="weber", trunk=str(trunk.code)) == []
    body = json.loads(get(WORKPLACES, raw_key, page=2, page_size=2).content)
    assert (body["count"], body["pages"], body["items"][0]["username"]) == (3, 2, "b.weber")


def test_a_bad_filter_is_a_422_naming_the_parameter(alice, joerg):
    raw_key = key_for(alice)
    body = assert_problem(get(WORKPLACES, raw_key, status="gone"), 422)
    assert body["errors"][0]["field"] == "status"
    assert body["errors"][0]["pointer"] is None  # not in a body
    body = assert_problem(get(WORKPLACES, raw_key, q="Jörg\x00"), 422)
    assert [(e["code"], e["field"]) for e in body["errors"]] == [("control_characters", "q")]


def test_a_key_of_another_customer_gets_404_for_every_workplace_and_trunk(
    alice, charlie, joerg, other_trunk
):
    raw_key = key_for(charlie)
    assert json.loads(get(WORKPLACES, raw_key).content)["count"] == 0
    assert_problem(get(WORKPLACES, raw_key, trunk=str(joerg.trunk.code)), 404)
    assert_problem(get(url(joerg), raw_key), 404)
    body = assert_problem(patch(url(joerg), raw_key, {"first_name": "Eve"}), 404)
    assert body["errors"][0]["code"] == "not_found"
    joerg.refresh_from_db()
    assert joerg.first_name == "Jörg"
    assert_problem(get(f"{WORKPLACES}/not-a-code", raw_key), 404)


def test_the_list_query_count_does_not_grow_with_the_page_size(alice, trunk):
    for n in range(10, 40):
        workplace = make_workplace(trunk, f"person.{n}", str(n), last_name=f"Nummer {n}")
        message(workplace)
        RegistrarJob.objects.create(
            kind=RegistrarJob.Kind.ENSURE,
            username=workplace.username,
            ref=lifecycle.registrar_ref(workplace),
        )
    raw_key = key_for(alice)
    get(WORKPLACES, raw_key)  # the key's first use writes its date

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = get(WORKPLACES, raw_key, page_size=page_size)
        items = json.loads(response.content)["items"]
        assert len(items) == page_size and all(i["messages"] and i["registrar"] for i in items)
        return len(captured)

    assert queries(2) == queries(30)


# --- Editing --------------------------------------------------------------------------------


def test_patch_changes_the_fields_sent_and_the_protokoll_names_the_key(alice, joerg):
    response = patch(
        url(joerg),
        key_for(alice, "HR-System"),
        {"street": "Poppelsdorfer Allee", "house_number": "12a", "mobile": "0171 7654321"},
    )
    assert response.status_code == 200, response.content
    body = json.loads(response.content)
    assert (body["street"], body["house_number"]) == ("Poppelsdorfer Allee", "12a")
    assert body["mobile"] == {"e164": "+491717654321", "national": "0171 7654321"}
    joerg.refresh_from_db()
    assert (joerg.first_name, joerg.city, joerg.mobile) == ("Jörg", "Bonn", "+491717654321")
    [event] = AuditEvent.objects.filter(action="workplace_edited")
    assert event.actor.username == "alice" and event.actor_label == "API-Schlüssel HR-System"
    assert set(event.details["fields"]) == {"street", "house_number", "mobile"}


def test_patch_normalises_the_auth_email_as_the_edit_page(alice, joerg):
    response = patch(url(joerg), key_for(alice), {"auth_email": "Joerg.Neu@Example.com"})
    assert json.loads(response.content)["auth_email"] == "Joerg.Neu@example.com"


def test_mobile_null_means_passwords_by_email_and_email_null_clears_it(alice, joerg):
    joerg.email = "j@example.com"
    joerg.save(update_fields=["email"])
    body = json.loads(patch(url(joerg), key_for(alice), {"mobile": None, "email": None}).content)
    assert (body["mobile"], body["email"]) == (None, None)
    joerg.refresh_from_db()
    assert (joerg.mobile, joerg.email, joerg.password_by_sms) == ("", "", False)


def test_an_empty_patch_changes_and_records_nothing(alice, joerg):
    response = patch(url(joerg), key_for(alice), {})
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="workplace_edited").exists()


@pytest.mark.parametrize(
    ("sent", "code", "field"),
    [
        ({"first_name": "R2D2"}, "name", "first_name"),
        ({"last_name": ""}, "required", "last_name"),
        ({"postcode": "5311"}, "postcode", "postcode"),
        ({"auth_email": "kein-at"}, "invalid", "auth_email"),
        ({"mobile": "0228 181234"}, "not_mobile", "mobile"),
        ({"mobile": ""}, "mobile_required", "mobile"),
        ({"city": "Bonn\x07"}, "control_characters", "city"),
    ],
)
def test_patch_refuses_with_the_edit_pages_rules_code_message_and_pointer(
    alice, joerg, sent, code, field
):
    body = assert_problem(patch(url(joerg), key_for(alice), sent), 422)
    [entry] = body["errors"]
    assert (entry["code"], entry["field"], entry["pointer"]) == (code, field, f"/{field}")
    assert entry["message"]  # the German message the page shows next to the field
    assert Workplace.objects.get(pk=joerg.pk).last_name == "Müller"
    assert not AuditEvent.objects.filter(action="workplace_edited").exists()


def test_patch_reports_every_problem_at_once_in_german(alice, joerg):
    body = assert_problem(
        patch(url(joerg), key_for(alice), {"first_name": "R2D2", "postcode": ""}), 422
    )
    assert {(e["field"], e["message"]) for e in body["errors"]} == {
        ("first_name", "Bitte nur Buchstaben, Leerzeichen, Bindestrich, Punkt oder Apostroph."),
        ("postcode", "Bitte füllen Sie dieses Feld aus."),
    }


def test_a_wrong_type_is_a_422_with_the_pointer_into_the_body(alice, joerg):
    body = assert_problem(patch(url(joerg), key_for(alice), {"first_name": 42}), 422)
    [entry] = body["errors"]
    assert (entry["code"], entry["field"], entry["pointer"]) == (
        "invalid",
        "first_name",
        "/first_name",
    )


def test_the_username_is_not_a_field_of_the_patch(alice, joerg):
    response = patch(url(joerg), key_for(alice), {"username": "hacker"})
    assert response.status_code == 200
    joerg.refresh_from_db()
    assert joerg.username == "joerg.mueller"


def test_a_deleted_workplace_cannot_be_changed(alice, joerg):
    Workplace.objects.filter(pk=joerg.pk).update(status=Workplace.Status.DELETED)
    body = assert_problem(patch(url(joerg), key_for(alice), {"first_name": "Anna"}), 422)
    assert body["errors"][0]["code"] == "not_in_service"
    assert body["errors"][0]["pointer"] is None


def test_the_description_declares_every_answer_of_the_new_operations(db):
    schema = json.loads(Client().get("/api/v1/openapi.json").content)
    operations = {
        ("/api/v1/trunks/{code}/numbers", "get"): {"200", "401", "404", "422", "429"},
        ("/api/v1/packages", "get"): {"200", "401", "422", "429"},
        ("/api/v1/workplaces", "get"): {"200", "401", "404", "422", "429"},
        ("/api/v1/workplaces/{code}", "get"): {"200", "401", "404", "422", "429"},
        ("/api/v1/workplaces/{code}", "patch"): {"200", "400", "401", "403", "404", "422", "429"},
    }
    for (path, method), statuses in operations.items():
        assert set(schema["paths"][path][method]["responses"]) == statuses, (path, method)
    entry = schema["components"]["schemas"]["ProblemEntry"]
    assert "pointer" in entry["required"]
    out = schema["components"]["schemas"]["WorkplaceOut"]
    assert set(out["required"]) == set(out["properties"])


def test_a_body_that_is_no_object_or_no_json_is_a_problem(alice, joerg):
    raw_key = key_for(alice)
    body = assert_problem(patch(url(joerg), raw_key, ["first_name"]), 422)
    assert body["errors"][0]["pointer"] == ""  # the whole document
    response = Client().patch(
        url(joerg),
        "{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw_key}"},
    )
    assert_problem(response, 400)
