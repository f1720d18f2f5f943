"""The cells Rufnummer and Konferenzpaket: what people write, and the trunk's numbers."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from catalog.parsing import match_package
from orders.models import Package
from tests.conftest import make_trunk
from trunks.models import NumberBlock
from trunks.parsing import TrunkNumbers, parse_rufnummer
from trunks.services import save_number_block

pytestmark = pytest.mark.django_db


def message(value, trunk) -> str:
    with pytest.raises(ValidationError) as caught:
        parse_rufnummer(value, trunk)
    return caught.value.messages[0]


SPELLINGS = [
    "0228 181234-13",
    "+49 228 18123413",
    "+49 (0)228 181234-13",
    "0049 228 18123413",
    "022818123413",
    "(0228) 181234-13",
    "0228/181234 13",
    "0228\u00a0181234\u201113",
    "13",
    " 13 ",
    "22818123413",
    "4922818123413",
]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_a_trunk_number_gives_its_e164(trunk, spelling):
    assert parse_rufnummer(spelling, trunk) == "+4922818123413"


def test_preloaded_numbers_answer_the_same_without_a_query_per_row(
    trunk, django_assert_num_queries
):
    with django_assert_num_queries(1):
        numbers = TrunkNumbers.of(trunk)
    with django_assert_num_queries(0):
        assert {parse_rufnummer(s, numbers) for s in SPELLINGS} == {"+4922818123413"}
        refused = [message(v, numbers) for v in ("0228 999999-13", "100", "2289999999")]
    assert refused == [message(v, trunk) for v in ("0228 999999-13", "100", "2289999999")]


@pytest.mark.parametrize("empty", ["", "   ", "\u00a0"])
def test_an_empty_cell_means_no_number_chosen(trunk, empty):
    assert parse_rufnummer(empty, trunk) is None


def test_the_extension_0_of_the_switchboard_is_an_extension(demo_customer, packages):
    trunk = make_trunk(demo_customer, "Zentrale", "+4930123456", 0, 9)
    assert parse_rufnummer("0", trunk) == "+49301234560"
    assert parse_rufnummer("030 123456-0", trunk) == "+49301234560"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("77", "Interne Rufnummern beginnend mit 77 können nicht verwendet werden."),
        ("7801", "Interne Rufnummern beginnend mit 78 können nicht verwendet werden."),
        ("110", "Interne Rufnummern beginnend mit 110 können nicht verwendet werden."),
        (
            "11833",
            "Fünfstellige interne Rufnummern beginnend mit 118 können nicht verwendet werden.",
        ),
    ],
)
def test_extensions_the_seed_forbids_get_the_seeds_message(trunk, value, expected):
    assert message(value, trunk) == expected


def test_an_extension_the_trunk_does_not_have_is_refused(trunk):
    assert message("100", trunk) == (
        "Die Durchwahl 100 gibt es auf diesem SIP-Trunk nicht. Bitte geben Sie die ganze "
        "Rufnummer an, z. B. 0228 181234-13."
    )


def test_an_extension_in_two_blocks_needs_the_whole_number(trunk):
    save_number_block(
        NumberBlock(trunk=trunk, base="+49228555000", first_extension=10, last_extension=20)
    )
    assert message("13", trunk) == (
        "Das passt zu mehreren Rufnummern (0228 18123413, 0228 55500013). Bitte geben Sie die "
        "ganze Rufnummer an."
    )
    assert parse_rufnummer("0228 555000-13", trunk) == "+4922855500013"


def test_a_number_of_another_trunk_is_refused(trunk, other_trunk):
    assert parse_rufnummer("0221 98765-13", other_trunk) == "+492219876513"
    assert message("0221 98765-13", trunk) == (
        "Die Rufnummer 0221 9876513 gehört nicht zu diesem SIP-Trunk."
    )
    assert message("22198765130", trunk).endswith("gehört nicht zu diesem SIP-Trunk.")


def test_a_foreign_country_is_refused(trunk):
    assert message("+33 1 23 45 67 89", trunk) == (
        "Die Rufnummer muss eine deutsche Rufnummer (+49) sein."
    )


def test_a_number_longer_than_the_seed_allows_is_refused(trunk):
    assert message("0228 1812341312345", trunk).startswith(
        "Die Rufnummer hat 16 Ziffern ohne die führende 0; erlaubt sind höchstens 12"
    )


@pytest.mark.parametrize(
    "value",
    ["13a", "Zentrale", "+", "++49 228", "0228.181234-13", "13.0", "12,5", "=13", "١٣", "-", "()"],
)
def test_text_that_is_no_number_is_refused_with_examples(trunk, value):
    assert message(value, trunk) == (
        f"„{value}“ ist keine Rufnummer. Möglich sind z. B. 0228 181234-13, +49 228 18123413 "
        "oder nur die Durchwahl 13."
    )


def test_full_width_digits_are_digits(trunk):
    assert parse_rufnummer("１３", trunk) == "+4922818123413"


def test_a_number_too_long_for_phonenumbers_gets_a_message_not_an_exception(trunk):
    assert message("0" + "1" * 30, trunk) == "Das ist keine gültige Rufnummer."


# --- Konferenzpaket ----------------------------------------------------------------------


@pytest.fixture
def conference(packages):
    return list(Package.objects.conference())


@pytest.mark.parametrize("value", ["", "  ", "Kein", "kein", "KEINS", "keines", "Ohne"])
def test_no_package_is_empty_or_kein(conference, value):
    assert match_package(value, conference) is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Basic", "konferenz-basic"),
        ("plus", "konferenz-plus"),
        (" PREMIUM ", "konferenz-premium"),
        ("Konferenz Plus", "konferenz-plus"),
        ("konferenz\u00a0 premium", "konferenz-premium"),
        ("konferenz-basic", "konferenz-basic"),
    ],
)
def test_a_package_is_named_short_in_full_or_by_its_code(conference, value, code):
    assert match_package(value, conference).code == code


def test_an_unknown_package_lists_what_is_possible(conference):
    with pytest.raises(ValidationError) as caught:
        match_package("Gold", conference)
    assert caught.value.messages == [
        "„Gold“ ist kein Konferenzpaket. Möglich sind: Kein, Basic, Plus, Premium, oder der "
        "volle Name, z. B. „Konferenz Premium“."
    ]


def test_only_the_packages_passed_in_are_matched(conference):
    with pytest.raises(ValidationError):
        match_package("SIP-Trunk Arbeitsplatz", conference)
    with pytest.raises(ValidationError):
        match_package("Plus", [p for p in conference if p.code != "konferenz-plus"])
