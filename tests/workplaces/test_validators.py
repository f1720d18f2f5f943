"""The seed's username rules (step 3), the username suggestion and German postcodes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from workplaces.validators import username_suggestion, validate_postcode, validate_username


def rejection(validator, value: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validator(value)
    return caught.value


@pytest.mark.parametrize(
    "username",
    [
        "abcde",
        "12345",
        "joerg.mueller",
        "joerg_mueller",
        "joerg-mueller",
        "a.b-c_d",
        "j.mueller2",
        "2fast.4you",
        "anna.schmidt-meier",
        "x" * 64,
    ],
)
def test_it_accepts_usernames_the_seed_allows(username):
    validate_username(username)


@pytest.mark.parametrize("username", ["", "a", "abcd", "a.b-", "jo.m"])
def test_it_rejects_usernames_shorter_than_five_characters(username):
    error = rejection(validate_username, username)
    assert error.code == "username_short"
    assert error.messages == ["Der Benutzername muss mindestens fünf Zeichen lang sein."]


def test_it_rejects_usernames_longer_than_the_login_column():
    error = rejection(validate_username, "x" * 65)
    assert error.code == "username_long"
    assert "höchstens 64 Zeichen" in error.messages[0]


@pytest.mark.parametrize("username", ["jörg.m", "mueller.jürgen", "änne.weber", "grosse.straße"])
def test_it_rejects_umlauts_and_sharp_s(username):
    error = rejection(validate_username, username)
    assert error.code == "username_umlaut"
    assert "keine Umlaute" in error.messages[0]
    assert "kein ß" in error.messages[0]


@pytest.mark.parametrize("username", ["Joerg.mueller", "joerg.Mueller", "ABCDE", "abcdE"])
def test_it_rejects_uppercase_letters_and_says_lowercase(username):
    error = rejection(validate_username, username)
    assert error.code == "username_uppercase"
    assert "nur Kleinbuchstaben" in error.messages[0]
    assert "keine Großbuchstaben" in error.messages[0]


@pytest.mark.parametrize(
    "username",
    [
        "joerg mueller",  # space
        "joerg@mueller",
        "joerg+mueller",
        "joerg/mueller",
        "joerg,mueller",
        "josé.garcia",  # accented letter, not an umlaut
        "abcıde",  # dotless i: lowercase, but not a-z
        "abc١٢de",  # Arabic-Indic digits are not 0-9
        "abcde\n",
        "abc\u200bde",  # zero-width space pasted from a document
    ],
)
def test_it_rejects_characters_outside_a_to_z_digits_and_the_three_separators(username):
    error = rejection(validate_username, username)
    assert error.code == "username_characters"
    assert "Kleinbuchstaben (a-z) und Ziffern" in error.messages[0]
    assert "Unterstrich, Bindestrich und Punkt" in error.messages[0]


@pytest.mark.parametrize(
    "username", ["_joerg", "-joerg", ".joerg", "joerg_", "joerg-", "joerg.", ".joerg."]
)
def test_it_rejects_usernames_not_starting_and_ending_with_a_letter_or_digit(username):
    error = rejection(validate_username, username)
    assert error.code == "username_edges"
    assert "beginnen und enden" in error.messages[0]


@pytest.mark.parametrize(
    "username", ["joerg..mueller", "joerg.-mueller", "joerg_-mueller", "joerg-_.mueller"]
)
def test_it_rejects_separators_without_a_letter_or_digit_on_both_sides(username):
    error = rejection(validate_username, username)
    assert error.code == "username_separators"
    assert "Vor und nach jedem Sonderzeichen" in error.messages[0]


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("Jörg", "Müller-Lüdenscheidt", "joerg.mueller-luedenscheidt"),
        ("Björn", "Groß", "bjoern.gross"),
        ("Änne", "Öztürk", "aenne.oeztuerk"),
        ("Bärbel", "Jäger", "baerbel.jaeger"),
        ("ÜBEL", "STRAẞE", "uebel.strasse"),
        ("Jo\u0308rg", "Mu\u0308ller", "joerg.mueller"),  # decomposed, as pasted from macOS
        ("Anna", "Schmidt", "anna.schmidt"),
        ("José", "García", "jose.garcia"),
        ("Hans Peter", "von der Heide", "hans-peter.von-der-heide"),
        ("Jean-Luc", "O'Neill", "jean-luc.o-neill"),
    ],
)
def test_it_suggests_a_username_with_umlauts_spelled_out(first, last, expected):
    assert username_suggestion(first, last) == expected


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("Mehmet", "Yılmaz", "mehmet.yilmaz"),
        ("Ayşe", "Çelik", "ayse.celik"),
        ("Gülşen", "Doğan", "guelsen.dogan"),
        ("İsmail", "Öztürk", "ismail.oeztuerk"),
        ("Paweł", "Wałęsa", "pawel.walesa"),
        ("Søren", "Kierkegaard", "soren.kierkegaard"),
        ("Åsa", "Ødegård", "asa.odegard"),
        ("Ægir", "Læsø", "aegir.laeso"),
        ("Đorđe", "Đoković", "dorde.dokovic"),
        ("Zoë", "Straße", "zoe.strasse"),
        ("Þóra", "Ðórsdóttir", "thora.dorsdottir"),
        ("François", "Œuvray", "francois.oeuvray"),
    ],
)
def test_it_transliterates_letters_that_have_no_ascii_decomposition(first, last, expected):
    assert username_suggestion(first, last) == expected


@pytest.mark.parametrize(
    ("first", "last"),
    [("Jörg", "Müller-Lüdenscheidt"), ("Li", "Xu"), ("Ö", "Ü"), ("-Anna-", "--Groß--")],
)
def test_the_suggestion_passes_the_username_rules(first, last):
    validate_username(username_suggestion(first, last))


def test_it_pads_a_short_suggestion_to_five_characters():
    assert username_suggestion("Li", "Xu") == "li.xu"
    assert username_suggestion("A", "B") == "a.b00"


def test_it_suggests_nothing_for_a_name_without_usable_characters():
    assert username_suggestion("", "") == ""


@pytest.mark.parametrize("postcode", ["53113", "01067", "10115", "99998"])
def test_it_accepts_german_postcodes(postcode):
    validate_postcode(postcode)


@pytest.mark.parametrize(
    "postcode",
    ["", "5311", "531130", "5311a", "53 113", "00000", "00123", "５３１１３", "53113\n"],
)
def test_it_rejects_anything_but_a_five_digit_german_postcode(postcode):
    error = rejection(validate_postcode, postcode)
    assert error.code == "postcode"
    assert error.messages == [
        "Bitte geben Sie eine deutsche Postleitzahl mit fünf Ziffern ein (z. B. 53113)."
    ]
