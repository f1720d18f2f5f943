""" "Prüfen": each kind of bad row once, the defaults, and that a check reserves nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.policy import Actor
from tests.conftest import make_trunk
from tests.listimport.helpers import HEADER, csv_bytes
from tests.wizard_helpers import USER_DATA
from workplaces.listimport.columns import COLUMNS
from workplaces.listimport.files import read_upload
from workplaces.listimport.service import check_rows
from workplaces.models import SetupDraft, Workplace
from workplaces.services import GENERAL, setup

pytestmark = pytest.mark.django_db


#: The wizard tests' Jörg Müller.
JOERG = USER_DATA


def person(**values: str) -> list[str]:
    """A row in the template's column order: Jörg Müller unless told otherwise."""
    merged = {**JOERG, **values}
    return [merged.get(column.field, "") for column in COLUMNS]


def check(trunk, *rows: list[str]) -> dict:
    sheet = read_upload("liste.csv", csv_bytes([HEADER, *rows]))
    return check_rows(trunk=trunk, rows=sheet.rows, notices=sheet.notices)


def row(result: dict, line: int) -> dict:
    return next(r for r in result["rows"] if r["line"] == line)


def errors(result: dict, line: int) -> list[tuple[str, str]]:
    return [tuple(e) for e in row(result, line)["errors"]]


def error(result: dict, line: int, field: str) -> str:
    messages = [m for f, m in errors(result, line) if f == field]
    assert len(messages) == 1, errors(result, line)
    return messages[0]


def defaults(result: dict, line: int) -> dict[str, str]:
    return dict(row(result, line)["defaults"])


def held_by_a_workplace(trunk, username: str, **person_fields) -> Workplace:
    number = trunk.numbers.free().order_by("e164").first()
    return Workplace.objects.create(trunk=trunk, username=username, number=number, **person_fields)


# --- a good row and its defaults ------------------------------------------------------------


def test_a_complete_row_is_fault_free_and_carries_what_the_cart_step_needs(trunk):
    result = check(
        trunk,
        person(
            username="jmueller",
            auth_email="login@example.com",
            mobile="0170 1234567",
            number="0228 181234-13",
            package="Plus",
        ),
    )
    assert (result["ok"], result["failed"], result["skipped"]) == (1, 0, 0)
    assert errors(result, 2) == []
    assert defaults(result, 2) == {}
    values = row(result, 2)["values"]
    assert values["username"] == "jmueller"
    assert values["number"] == "+4922818123413"
    assert values["package"] == "konferenz-plus"
    assert values["contacts"] == {
        "auth_email": "login@example.com",
        "mobile": "+491701234567",
        "without_mobile": False,
    }
    assert values["user_data"]["first_name"] == "Jörg"


def test_empty_optional_cells_get_the_wizards_defaults(trunk):
    result = check(trunk, person())
    assert result["ok"] == 1
    assert defaults(result, 2) == {
        "username": "joerg.mueller",
        "auth_email": "joerg.mueller@example.com",
        "mobile": "ohne Mobilfunknummer: Passwort per E-Mail",
        "number": "0228 181234-10",
    }
    values = row(result, 2)["values"]
    assert values["contacts"]["without_mobile"] is True
    assert values["package"] is None


def test_a_suggested_username_is_unique_in_the_system_and_in_the_file(trunk):
    held_by_a_workplace(trunk, "joerg.mueller", first_name="Jörg", last_name="Müller")
    result = check(
        trunk,
        person(auth_email="eins@example.com"),
        person(auth_email="zwei@example.com"),
        person(first_name="Anna", last_name="Schmidt"),
        person(first_name="Ada", username="anna.schmidt"),
    )
    assert defaults(result, 2)["username"] == "joerg.mueller2"
    assert defaults(result, 3)["username"] == "joerg.mueller3"
    # Row 5 names anna.schmidt itself, so the suggestion for row 4 leaves it to row 5.
    assert defaults(result, 4)["username"] == "anna.schmidt2"
    assert errors(result, 5) == []


def test_a_suggested_username_transliterates_the_name(trunk):
    result = check(trunk, person(first_name="Mehmet", last_name="Yılmaz"))
    assert defaults(result, 2)["username"] == "mehmet.yilmaz"


def test_default_numbers_are_the_lowest_free_ones_that_no_other_row_names(trunk):
    result = check(trunk, person(auth_email="a@example.com"), person(number="10", username="b.row"))
    assert defaults(result, 2)["number"] == "0228 181234-11"
    assert row(result, 3)["values"]["number"] == "+4922818123410"


# --- bad rows, each kind once ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("jm", "Der Benutzername muss mindestens fünf Zeichen lang sein."),
        ("jörg.m", "Der Benutzername darf keine Umlaute (ä, ö, ü) und kein ß enthalten."),
        ("Joerg.M", "Der Benutzername darf nur Kleinbuchstaben enthalten, keine Großbuchstaben."),
        (
            "joerg..m",
            "Vor und nach jedem Sonderzeichen (_ - .) muss mindestens ein Buchstabe oder eine "
            "Ziffer stehen.",
        ),
        (
            ".joerg",
            "Der Benutzername muss mit einem Buchstaben oder einer Ziffer beginnen und enden.",
        ),
    ],
)
def test_a_username_against_the_seeds_rules_gets_the_wizards_message(trunk, username, message):
    result = check(trunk, person(username=username))
    assert errors(result, 2) == [("username", message)]
    assert result["failed"] == 1


def test_a_username_taken_in_the_system_is_refused(trunk, alice):
    alice.username = "joerg.m"
    alice.save()
    result = check(trunk, person(username="joerg.m"))
    assert error(result, 2, "username") == (
        "Der Benutzername „joerg.m“ ist bereits vergeben. Bitte wählen Sie einen anderen."
    )


def test_a_username_twice_in_the_file_is_refused_in_the_second_row(trunk):
    result = check(trunk, person(username="joerg.m"), person(username="joerg.m"))
    assert errors(result, 2) == []
    assert error(result, 3, "username") == "Dieser Benutzername steht schon in Zeile 2 der Datei."


def test_the_same_person_twice_without_username_is_refused_in_the_second_row(trunk):
    result = check(trunk, person(), person(first_name="JÖRG"))
    assert error(result, 3, "username").startswith(
        "Diese Person steht schon in Zeile 2 der Datei (gleicher Name und gleiche "
        "E-Mail-Adresse zur Authentifizierung)."
    )


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("77", "Interne Rufnummern beginnend mit 77 können nicht verwendet werden."),
        ("110", "Interne Rufnummern beginnend mit 110 können nicht verwendet werden."),
        (
            "11833",
            "Fünfstellige interne Rufnummern beginnend mit 118 können nicht verwendet werden.",
        ),
        (
            "0228 1812341312345",
            "Die Rufnummer hat 16 Ziffern ohne die führende 0; erlaubt sind höchstens 12 Ziffern "
            "(14 mit der Landesvorwahl +49).",
        ),
        ("0221 98765-13", "Die Rufnummer 0221 9876513 gehört nicht zu diesem SIP-Trunk."),
        (
            "Zentrale",
            "„Zentrale“ ist keine Rufnummer. Möglich sind z. B. 0228 181234-13, "
            "+49 228 18123413 oder nur die Durchwahl 13.",
        ),
    ],
)
def test_a_number_against_the_rules_or_of_another_trunk_is_refused(
    trunk, other_trunk, number, message
):
    result = check(trunk, person(number=number))
    assert errors(result, 2) == [("number", message)]


def test_a_number_someone_holds_is_refused(trunk, alice):
    draft = setup.start_draft(actor=Actor.for_admin(alice), trunk=trunk, user_data=USER_DATA)
    setup.reserve_number(
        actor=Actor.for_admin(draft.created_by),
        draft=draft,
        number=trunk.numbers.get(extension="13"),
    )
    held_by_a_workplace(trunk, "ein.platz")  # takes extension 10, the lowest free one
    result = check(trunk, person(number="+49 228 18123413"), person(number="10", username="b.row"))
    assert error(result, 2, "number") == (
        "Die Rufnummer 0228 181234-13 ist bereits vergeben. Bitte wählen Sie eine andere."
    )
    assert error(result, 3, "number").startswith("Die Rufnummer 0228 181234-10 ist bereits")


def test_a_number_twice_in_the_file_is_refused_in_the_second_row(trunk):
    result = check(trunk, person(number="13"), person(number="022818123413", username="b.row"))
    assert errors(result, 2) == []
    assert error(result, 3, "number") == "Diese Rufnummer steht schon in Zeile 2 der Datei."


def test_a_trunk_without_free_numbers_says_so_for_rows_without_a_number(demo_customer, packages):
    small = make_trunk(demo_customer, "Klein", "+4930123456", 0, 1)
    result = check(
        small,
        person(auth_email="a@example.com"),
        person(auth_email="b@example.com"),
        person(auth_email="c@example.com"),
    )
    assert [errors(result, line) for line in (2, 3)] == [[], []]
    assert error(result, 4, "number") == "Auf diesem SIP-Trunk ist keine Rufnummer mehr frei."


def test_a_mobile_number_that_is_no_mobile_is_refused(trunk):
    result = check(trunk, person(mobile="0228 181234"))
    assert errors(result, 2) == [
        ("mobile", "Das ist keine Mobilfunknummer; die SMS kann nur an ein Handy gehen.")
    ]


def test_invalid_e_mail_addresses_are_refused_once_each(trunk):
    invalid = "Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@firma.de."
    assert errors(check(trunk, person(email="joerg@")), 2) == [("email", invalid)]
    assert errors(check(trunk, person(auth_email="login@@example")), 2) == [("auth_email", invalid)]


def test_invisible_characters_in_an_e_mail_address_are_a_message_not_a_crash(trunk):
    result = check(trunk, person(email="", auth_email="jo\u200e@example.com"))
    assert errors(result, 2) == [
        ("auth_email", "Bitte verwenden Sie nur sichtbare Zeichen (keine Steuerzeichen).")
    ]


def test_without_any_e_mail_address_the_authentication_address_is_asked_for(trunk):
    result = check(trunk, person(email=""))
    assert errors(result, 2) == [
        ("auth_email", "Bitte geben Sie die E-Mail-Adresse zur Authentifizierung ein.")
    ]


def test_a_postcode_that_is_not_german_is_refused(trunk):
    result = check(trunk, person(postcode="5311"))
    assert errors(result, 2) == [
        (
            "postcode",
            "Bitte geben Sie eine deutsche Postleitzahl mit fünf Ziffern ein (z. B. 53113).",
        )
    ]


def test_missing_mandatory_values_are_named_per_column(trunk):
    result = check(trunk, person(first_name="", city=""))
    assert {f for f, _m in errors(result, 2)} == {"first_name", "city"}
    assert "username" not in defaults(result, 2)


def test_an_unknown_package_lists_the_choices(trunk):
    message = error(check(trunk, person(package="Gold")), 2, "package")
    assert message.startswith("„Gold“ ist kein Konferenzpaket. Möglich sind: Kein, Basic")


def test_the_quota_counts_all_fault_free_rows_together(demo_customer, packages):
    small = make_trunk(demo_customer, "Klein", "+49228181234", 10, 99, quota=3)
    held_by_a_workplace(small, "ein.platz", first_name="Ein", last_name="Platz")
    people = [person(first_name=name, auth_email=f"{name}@example.com") for name in "ABCD"]
    result = check(small, person(postcode="1"), *people)
    assert result["ok"] == 2
    assert [bool(errors(result, line)) for line in (3, 4, 5, 6)] == [False, False, True, True]
    assert error(result, 5, GENERAL).startswith("Das Kontingent des SIP-Trunks Klein ist")
    assert result["notices"] == [
        "Der SIP-Trunk hat noch 2 freie Plätze für 4 fehlerfreie Zeilen; die Zeilen darüber "
        "hinaus sind als Fehler markiert."
    ]


# --- already there, and nothing reserved ----------------------------------------------------


def test_a_person_in_a_cart_or_set_up_is_reported_not_checked_again(trunk, bob):
    draft = setup.start_draft(actor=Actor.for_admin(bob), trunk=trunk, user_data=JOERG)
    setup.reserve_username(
        actor=Actor.for_admin(draft.created_by),
        draft=draft,
        username="joerg.mueller",
        contacts={"auth_email": "joerg.mueller@example.com", "without_mobile": True},
    )
    setup.reserve_number(
        actor=Actor.for_admin(draft.created_by),
        draft=draft,
        number=trunk.numbers.get(extension="13"),
    )
    setup.choose_package(actor=Actor.for_admin(draft.created_by), draft=draft, package=None)
    setup.add_to_cart(draft=draft, actor=Actor.for_admin(draft.created_by))
    held_by_a_workplace(trunk, "anna.s", first_name="Anna", last_name="Schmidt")
    result = check(
        trunk,
        person(number="13"),
        person(username="anna.s", first_name="Anna", last_name="Schmidt"),
        person(username="joerg.mueller"),
        person(first_name="Jörg", auth_email="anders@example.com"),
    )
    assert (row(result, 2)["skip"], row(result, 2)["skip_by"]) == ("in_cart", "Bob")
    assert row(result, 3)["skip"] == "set_up"
    assert row(result, 4)["skip"] == "in_cart"
    assert "skip" not in row(result, 5)
    assert defaults(result, 5)["username"] == "joerg.mueller2"
    assert (result["ok"], result["failed"], result["skipped"]) == (1, 0, 3)


def test_the_check_reserves_nothing(trunk):
    free_before = trunk.numbers.free().count()
    result = check(trunk, *[person(first_name=n, auth_email=f"{n}@example.com") for n in "ABC"])
    assert result["ok"] == 3
    assert not SetupDraft.objects.exists()
    assert trunk.numbers.free().count() == free_before


def test_the_check_asks_the_database_the_same_number_of_times_for_few_and_many_rows(
    demo_customer, packages, django_assert_max_num_queries
):
    trunk = make_trunk(demo_customer, "Groß", "+49228181234", 10, 99, quota=100)

    def rows(count: int) -> list[list[str]]:
        return [
            person(first_name=f"Name{'abcdefghij'[i % 10]}{'abcdefghij'[i // 10]}", mobile="")
            for i in range(count)
        ]

    with CaptureQueriesContext(connection) as few:
        check(trunk, *rows(3))
    with django_assert_max_num_queries(len(few)):
        result = check(trunk, *rows(60))
    assert result["ok"] == 60


def test_many_people_of_one_name_are_suggested_without_a_query_each(
    demo_customer, packages, django_assert_max_num_queries
):
    trunk = make_trunk(demo_customer, "Groß", "+49228181234", 10, 99, quota=100)
    rows = [person(auth_email=f"j{i}@example.com") for i in range(40)]
    with django_assert_max_num_queries(20):
        result = check(trunk, *rows)
    assert defaults(result, 41)["username"] == "joerg.mueller40"
