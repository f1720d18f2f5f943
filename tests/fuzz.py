"""Hostile input for the fuzz tests, and what must hold for whatever was typed.

Used by tests/workplaces/test_fuzz.py and tests/myportal/test_fuzz.py. A form post either
comes back refused (the form again, with its errors on the page, nothing saved) or is
accepted, and then what was saved passes the seed's rules (``workplaces.validators``,
``trunks.validators``, e-mail addresses in their normalised form).
"""

from __future__ import annotations

import unicodedata
from http import HTTPStatus
from urllib.parse import quote

import phonenumbers
from django.utils.html import conditional_escape
from email_validator import validate_email
from hypothesis import HealthCheck, example, settings
from hypothesis import strategies as st

from workplaces.validators import validate_postcode, validate_username

ACCEPTABLE = {HTTPStatus.OK, HTTPStatus.FOUND, HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND}

# The examples share the test's fixtures (and its database), so a test's examples must not
# depend on each other's leftovers. Counts are bounded to keep each file under a minute.
fuzz = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
fuzz_fewer = settings(fuzz, max_examples=25)

# --- strategies: hostile text ------------------------------------------------------------

# A lone surrogate cannot be sent by a browser (it is not UTF-8), so it is left out.
CHARS = st.characters(exclude_categories=("Cs",))

# fmt: off
CONTROL = st.sampled_from(
    ["\x00", "\x01", "\x07", "\x08", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\xa0",
    "\u200b", "\u200d", "\u202e", "\u2028", "\u2029", "\ufeff", "\ufffe", "\U000e0001"]
)
SCRIPTS = st.sampled_from(
    ["Jörg", "Øresund", "Ωμέγα", "Дмитрий", "日本語", "עברית", "مرحبا", "हिन्दी", "ǅemal",
    "İstanbul", "STRASSE ß ẞ", "ﬃ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "😀", "👍🏽", "👨\u200d👩\u200d👧", "🇩🇪", "a\u0301",
    "０１７０ １２３４５６７", "١٢٣٤٥", "½", "²³", "Ⅻ", "𝟙𝟚𝟛"]
)
TRICKY = st.sampled_from(
    ["", " ", "   ", "'", '"', "<script>alert(1)</script>", "{{ 7*7 }}", "%s", "%(name)s",
    "' OR 1=1 --", "../../etc/passwd", "\\", "null", "None", "NaN", "-1", "0", "1e309",
    "+", "++49", "+49", "0049", "+4917012345678901234567890", "9" * 5000, "@", "a@b",
    "x@" + "a" * 300 + ".de", "\x00@example.com", "joerg@exämple.com", "joerg@[127.0.0.1]",
    "00000000-0000-0000-0000-000000000000", "{12345678-1234-5678-1234-567812345678}",
    "urn:uuid:12345678-1234-5678-1234-567812345678", "on", "off", "true", "none"]
)
# fmt: on
MIXED = st.text(
    alphabet=st.one_of(CHARS, CONTROL, st.sampled_from("abc.-_@+0123456789 ")),
    max_size=80,
)
LONG = st.builds(
    lambda chunk, times: chunk * times,
    st.one_of(SCRIPTS, CONTROL, st.text(CHARS, min_size=1, max_size=4)),
    st.integers(min_value=100, max_value=5000),
)
HOSTILE = st.one_of(
    st.text(CHARS),  # any unicode without surrogates
    MIXED,
    CONTROL,
    SCRIPTS,
    TRICKY,
    LONG,
    st.builds(lambda a, b: a + b, st.one_of(SCRIPTS, TRICKY), st.one_of(CONTROL, SCRIPTS)),
)


def spoil(value: str, nasty: str, at: int) -> str:
    at = at % (len(value) + 1)
    return value[:at] + nasty + value[at:]


def field(*valid: str) -> st.SearchStrategy[str]:
    """Hostile text, a valid value, or a valid value with something nasty inside it.

    The valid values let a body get past the first failing field to the checks behind it.
    """
    if not valid:
        return HOSTILE
    good = st.sampled_from(valid)
    spoiled = st.builds(spoil, good, st.one_of(st.just("\x00"), CONTROL, SCRIPTS), st.integers())
    return st.one_of(HOSTILE, good, spoiled)


def form(**fields: st.SearchStrategy[str]) -> st.SearchStrategy[dict]:
    """A POST body: each field hostile, valid or left out."""
    return st.fixed_dictionaries({}, optional=fields)


def one_field_spoiled(
    valid: dict[str, str], near_misses: dict[str, tuple[str, ...]] | None = None
) -> st.SearchStrategy[tuple[str, dict]]:
    """``(name, body)``: a valid body with exactly the field ``name`` hostile, spoiled, one of
    its near misses, or left out. An error, if any, must be that field's."""
    near_misses = near_misses or {}

    def spoilt(draw_value, name: str) -> tuple[str, dict]:
        choices = [
            HOSTILE,
            st.none(),
            st.builds(
                spoil,
                st.just(valid[name]),
                st.one_of(st.just("\x00"), CONTROL, SCRIPTS),
                st.integers(),
            ),
        ]
        if near_misses.get(name):
            choices.append(st.sampled_from(near_misses[name]))
        value = draw_value(st.one_of(*choices))
        body = {k: v for k, v in valid.items() if k != name}
        if value is not None:
            body[name] = value
        return name, body

    @st.composite
    def strategy(draw) -> tuple[str, dict]:
        return spoilt(draw, draw(st.sampled_from(sorted(valid))))

    return strategy()


#: Values that look right but break one rule each (the seed's and the forms').
NEAR_MISSES = {
    "first_name": ("Jörg2", "Jörg_", "-Jörg", "Jö rg\u200b", "½"),
    "last_name": ("Müller1", "O'", "Mül ler\t"),
    "street": ("12345", "Allee <b>", "Allee\u202e"),
    "house_number": ("zwölf", "12345", "12 a b", "１２"),
    "postcode": ("5311", "531130", "00123", "53l13", "５３１１３"),
    "city": ("Bonn 1", "Bonn²", "Bonn_Beuel"),
    "email": ("joerg@", "joerg@exämple.com", "joerg@@example.com", "joerg@example"),
    "auth_email": ("joerg@", "joerg@exämple.com", "jörg@example.com", "Joerg@Example.org"),
    "auth_email_repeat": ("joerg@exämple.com", "joerg@example.org"),
    "mobile": ("0228 181234", "+49 228 181234", "0170 123", "+44 20 7946 0958", "0170 1234567x"),
    "username": ("Joerg.mueller", "jörg.mueller", "joerg..mueller", ".joerg", "joe", "alice"),
    "without_mobile": ("on",),
}


def with_near_misses(valid: dict[str, str], near_misses: dict[str, tuple[str, ...]] = NEAR_MISSES):
    """Each near miss of each field of ``valid`` as an explicit example of a test that takes
    ``spoilt`` from :func:`one_field_spoiled`: the known junk is tried on every run."""

    def decorate(test):
        for name in sorted(valid):
            for value in near_misses.get(name, ()):
                test = example(spoilt=(name, {**valid, name: value}))(test)
        return test

    return decorate


def as_sent(body: dict) -> dict:
    """What a browser posts: the fields, and always the CSRF token (a post without one is
    refused by the CSRF check; the test client does not check it, so any value does)."""
    return {"csrfmiddlewaretoken": "x" * 64, **body}


HTMX = st.booleans()


def headers(htmx: bool) -> dict:
    return {"HX-Request": "true"} if htmx else {}


def assert_handled(response) -> None:
    assert response.status_code in ACCEPTABLE, (response.status_code, response.content[:500])


def segment(text: str) -> str:
    """A URL path segment carrying arbitrary text."""
    return quote(text, safe="")


# --- what must hold --------------------------------------------------------------------------


def accepted(response) -> bool:
    """The post was taken: a redirect, or for htmx a 200 that tells the browser where to go.

    Anything else must be the form again (:func:`assert_refused`).
    """
    assert response.status_code in {HTTPStatus.OK, HTTPStatus.FOUND}, (
        response.status_code,
        response.content[:500],
    )
    return response.status_code == HTTPStatus.FOUND or "HX-Redirect" in response


def assert_refused(response, *only: str, context_name: str = "form") -> dict:
    """The form came back with errors, each shown on the page; returns them by field.

    ``only``: the fields the errors may name (besides the whole form's).
    """
    assert response.status_code in {HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS}
    assert "HX-Redirect" not in response
    errors = response.context[context_name].errors
    assert errors, "refused without saying why"
    if only:
        assert set(errors) <= {*only, "__all__"}, errors
    page = response.content.decode()
    for messages in errors.values():
        for message in messages:
            assert str(conditional_escape(message)) in page, message
    return errors


INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}
NAME_SEPARATORS = " '’.-"


def assert_clean_text(value: str, max_length: int) -> None:
    """Single-line text as saved: visible characters, stripped, single spaces, fits."""
    assert len(value) <= max_length, (len(value), max_length)
    assert not any(unicodedata.category(ch) in INVISIBLE for ch in value), repr(value)
    assert value == " ".join(value.split()), repr(value)


def assert_name(value: str) -> None:
    """Letters, with space, hyphen, dot or apostrophe between them (the form's message)."""
    assert value and value[0].isalpha(), repr(value)
    assert all(ch.isalpha() or ch in NAME_SEPARATORS for ch in value), repr(value)


def assert_normalised_email(value: str) -> None:
    if value:
        assert (
            value
            == validate_email(value, check_deliverability=False, allow_smtputf8=False).normalized
        )
        assert len(value) <= 254


def assert_mobile(value: str) -> None:
    """Empty, or a valid mobile number in E.164."""
    if not value:
        return
    number = phonenumbers.parse(value)
    assert phonenumbers.is_valid_number(number), value
    assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE, value
    assert value == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def assert_valid_person(person) -> None:
    """Benutzerdaten and contacts of a draft or a workplace, as saved."""
    for name in ("first_name", "last_name", "street", "house_number", "postcode", "city"):
        assert_clean_text(getattr(person, name), type(person)._meta.get_field(name).max_length)
    for name in ("first_name", "last_name", "city"):
        assert_name(getattr(person, name))
    assert any(ch.isalpha() for ch in person.street), repr(person.street)
    assert person.house_number[:1].isdigit() and person.house_number.isascii()
    validate_postcode(person.postcode)
    assert_normalised_email(person.email)
    assert_normalised_email(person.auth_email)
    assert_mobile(person.mobile)


def assert_repeat_matches(body: dict, person) -> None:
    """Accepted with both addresses typed: the repeat was the address saved."""
    if "auth_email_repeat" in body and "use_user_email" not in body:
        repeat = validate_email(
            body["auth_email_repeat"].strip(), check_deliverability=False, allow_smtputf8=False
        ).normalized
        assert repeat.lower() == person.auth_email.lower(), (repeat, person.auth_email)


def assert_valid_login_data(draft) -> None:
    validate_username(draft.username)
    assert draft.auth_email
    assert_normalised_email(draft.auth_email)
    assert_mobile(draft.mobile)
    assert bool(draft.mobile) != bool(draft.without_mobile)
