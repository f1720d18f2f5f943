"""The seed's number rules: internal numbers, the 12-digit limit, and number blocks."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.conftest import make_trunk
from trunks.forms import NumberBlockForm
from trunks.models import Number, NumberBlock
from trunks.services import save_number_block
from trunks.validators import validate_extension, validate_number_length
from workplaces.models import SetupDraft


def rejection(validator, value: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validator(value)
    return caught.value


# validate_extension


@pytest.mark.parametrize(
    "extension",
    ["0", "1", "7", "10", "11", "76", "79", "87", "99", "100", "111", "113", "1234", "123456"],
)
def test_it_accepts_ordinary_extensions(extension):
    validate_extension(extension)


@pytest.mark.parametrize(
    ("extension", "prefix"),
    [
        ("77", "77"),
        ("770", "77"),
        ("7712", "77"),
        ("78", "78"),
        ("789", "78"),
        ("110", "110"),
        ("1105", "110"),
        ("112", "112"),
        ("11299", "112"),
    ],
)
def test_it_rejects_extensions_starting_with_77_78_110_or_112(extension, prefix):
    error = rejection(validate_extension, extension)
    assert error.code == "extension_prefix"
    assert error.messages == [
        f"Interne Rufnummern beginnend mit {prefix} können nicht verwendet werden."
    ]


@pytest.mark.parametrize("extension", ["11800", "11812", "11899"])
def test_it_rejects_five_digit_extensions_starting_with_118(extension):
    error = rejection(validate_extension, extension)
    assert error.code == "extension_118"
    assert "Fünfstellige interne Rufnummern beginnend mit 118" in error.messages[0]


@pytest.mark.parametrize("extension", ["118", "1180", "1189", "118000", "118999"])
def test_it_allows_118_extensions_that_are_not_five_digits_long(extension):
    validate_extension(extension)


@pytest.mark.parametrize(
    "extension",
    ["", "١٢", "۱۲", "１２", "²3", "12a", " 12", "12 ", "-12", "1.2", "+12", "1\n"],
)
def test_it_rejects_extensions_that_are_not_ascii_digits(extension):
    error = rejection(validate_extension, extension)
    assert error.code == "extension_digits"
    assert error.messages == ["Die interne Rufnummer darf nur aus den Ziffern 0 bis 9 bestehen."]


# validate_number_length


@pytest.mark.parametrize(
    "e164",
    [
        "+49228181234",
        "+4930123456",
        "+49228181234567",  # 12 national digits = 14 with the country code
        "+49" + "9" * 12,
    ],
)
def test_it_accepts_numbers_of_up_to_12_national_digits(e164):
    validate_number_length(e164)


@pytest.mark.parametrize(("e164", "count"), [("+492281812345678", 13), ("+49" + "9" * 15, 15)])
def test_it_rejects_numbers_of_more_than_12_national_digits(e164, count):
    error = rejection(validate_number_length, e164)
    assert error.code == "number_length"
    assert error.messages == [
        f"Die Rufnummer hat {count} Ziffern ohne die führende 0; erlaubt sind höchstens "
        "12 Ziffern (14 mit der Landesvorwahl +49)."
    ]


@pytest.mark.parametrize("e164", ["0228181234", "+43123456789", "49228181234"])
def test_it_rejects_numbers_that_are_not_german_e164(e164):
    error = rejection(validate_number_length, e164)
    assert error.code == "number_country"


@pytest.mark.parametrize("e164", ["+49 228 181234", "+49228-181234", "+49２２８"])
def test_it_rejects_anything_but_ascii_digits_after_the_country_code(e164):
    error = rejection(validate_number_length, e164)
    assert error.code == "number_digits"


# Number blocks


def block_form(trunk, base, first="", last="", instance=None) -> NumberBlockForm:
    data = {"trunk": trunk.pk, "base": base, "first_extension": first, "last_extension": last}
    return NumberBlockForm(data, instance=instance)


def test_the_back_office_form_accepts_a_block_of_exactly_12_national_digits(trunk):
    form = block_form(trunk, "+49228181235", 100, 999)
    assert form.is_valid(), form.errors
    save_number_block(form.save(commit=False))
    assert Number.objects.filter(e164="+49228181235999").exists()


def test_the_back_office_form_rejects_a_block_whose_numbers_exceed_12_national_digits(trunk):
    form = block_form(trunk, "+49228181235", 100, 1000)
    assert not form.is_valid()
    assert form.errors["last_extension"] == [
        "Mit dieser Durchwahl hätte die Rufnummer 13 Ziffern ohne die führende 0; erlaubt sind "
        "höchstens 12 (14 mit +49)."
    ]
    assert not NumberBlock.objects.filter(base="+49228181235").exists()


def test_a_block_whose_numbers_exceed_12_national_digits_does_not_pass_full_clean(trunk):
    block = NumberBlock(trunk=trunk, base="+49228181235", first_extension=1000, last_extension=1001)
    with pytest.raises(ValidationError) as caught:
        block.full_clean()
    assert "13 Ziffern" in caught.value.message_dict["last_extension"][0]
    with pytest.raises(ValidationError):
        save_number_block(block)
    assert not NumberBlock.objects.filter(base="+49228181235").exists()
    assert not Number.objects.filter(e164__startswith="+49228181235").exists()


def test_a_single_number_of_more_than_12_national_digits_does_not_pass_full_clean(trunk):
    block = NumberBlock(trunk=trunk, base="+4922818123456789")
    with pytest.raises(ValidationError) as caught:
        block.full_clean()
    assert "base" in caught.value.message_dict


def test_a_single_number_block_holds_one_number(trunk):
    assert save_number_block(NumberBlock(trunk=trunk, base="+49228181299")) == 1
    number = Number.objects.get(e164="+49228181299")
    assert number.trunk == trunk
    assert number.extension == ""


def test_it_stores_the_base_number_in_e164(trunk):
    block = NumberBlock(trunk=trunk, base="+49 228 181235", first_extension=10, last_extension=19)
    save_number_block(block)
    assert block.base == "+49228181235"
    assert Number.objects.filter(e164="+4922818123510").exists()


@pytest.mark.parametrize("base", ["0228181235", "+43123456789", "kein Anschluss", ""])
def test_the_back_office_form_rejects_a_base_that_is_not_a_german_e164_number(trunk, base):
    form = block_form(trunk, base, 10, 19)
    assert not form.is_valid()
    assert "base" in form.errors


def test_the_back_office_form_rejects_a_mobile_base_number(trunk):
    form = block_form(trunk, "+491701234567", 1, 9)
    assert not form.is_valid()
    assert form.errors["base"] == ["Mobilfunknummern können keinem SIP-Trunk zugeordnet werden."]


def test_a_mobile_base_number_does_not_pass_full_clean(trunk):
    with pytest.raises(ValidationError) as caught:
        NumberBlock(trunk=trunk, base="+491701234567").full_clean()
    assert caught.value.message_dict["base"] == [
        "Mobilfunknummern können keinem SIP-Trunk zugeordnet werden."
    ]


def test_it_rejects_a_range_whose_last_extension_is_below_the_first(trunk):
    form = block_form(trunk, "+49228181235", 50, 10)
    assert not form.is_valid()
    assert form.errors["last_extension"] == [
        "Die letzte Durchwahl muss größer oder gleich der ersten sein."
    ]


@pytest.mark.parametrize(("first", "last"), [(10, ""), ("", 99)])
def test_it_rejects_a_range_with_only_one_end(trunk, first, last):
    form = block_form(trunk, "+49228181235", first, last)
    assert not form.is_valid()
    assert "beide angeben oder keine" in form.errors["last_extension"][0]


def test_it_rejects_a_block_of_more_than_100000_numbers(trunk):
    block = NumberBlock(trunk=trunk, base="+4930123", first_extension=100000, last_extension=200000)
    with pytest.raises(ValidationError) as caught:
        block.full_clean()
    assert "höchstens 100000 Rufnummern" in caught.value.message_dict["last_extension"][0]


def test_it_rejects_extensions_of_more_than_six_digits(trunk):
    form = block_form(trunk, "+4930123", 1000000, 1000002)
    assert not form.is_valid()
    assert form.errors["last_extension"] == ["Eine Durchwahl darf höchstens 6 Ziffern haben."]


def test_it_rejects_a_block_overlapping_a_block_of_the_same_trunk(trunk):
    form = block_form(trunk, "+49228181234", 50, 59)
    assert not form.is_valid()
    assert form.non_field_errors() == [
        "Rufnummern dieses Blocks gehören bereits zu einem anderen Block."
    ]


def test_it_rejects_a_block_overlapping_a_block_of_another_customer(trunk, other_trunk):
    form = block_form(other_trunk, "+49228181234", 95, 105)
    assert not form.is_valid()
    assert "gehören bereits zu einem anderen Block" in form.non_field_errors()[0]
    assert not other_trunk.numbers.filter(e164__startswith="+49228181234").exists()


def test_it_accepts_a_block_next_to_an_existing_one(trunk):
    form = block_form(trunk, "+49228181235", 10, 99)
    assert form.is_valid(), form.errors


def test_a_block_may_be_widened_without_counting_as_overlapping_itself(trunk):
    block = trunk.blocks.get()
    form = block_form(trunk, block.base, 10, 199, instance=block)
    assert form.is_valid(), form.errors
    added = save_number_block(form.save(commit=False))
    assert added == 100 - 2  # 100..199 without 110 and 112
    assert trunk.numbers.count() == 88 + 98


def test_it_refuses_to_shrink_a_block_past_a_reserved_number(trunk, alice):
    block = trunk.blocks.get()
    held = trunk.numbers.get(extension="50")
    SetupDraft.objects.create(customer=trunk.customer, created_by=alice, trunk=trunk, number=held)
    form = block_form(trunk, block.base, 10, 40, instance=block)
    assert not form.is_valid()
    assert form.non_field_errors() == ["1 vergebene Rufnummern lägen außerhalb des neuen Bereichs."]


def test_shrinking_a_block_removes_the_free_numbers_outside_the_range(trunk):
    block = trunk.blocks.get()
    block.last_extension = 19
    save_number_block(block)
    assert sorted(trunk.numbers.values_list("extension", flat=True)) == [
        str(ext) for ext in range(10, 20)
    ]


def test_it_creates_a_number_for_every_allowed_extension_of_the_range(demo_customer):
    trunk = make_trunk(demo_customer, "Zentrale Bonn", "+49228181234", 10, 99)
    extensions = set(trunk.numbers.values_list("extension", flat=True))
    assert extensions == {str(ext) for ext in range(10, 100)} - {"77", "78"}
    assert trunk.numbers.count() == 88
    assert set(trunk.numbers.values_list("e164", flat=True)) == {
        "+49228181234" + ext for ext in extensions
    }


def test_it_skips_forbidden_extensions_in_a_three_digit_range(trunk):
    block = NumberBlock(trunk=trunk, base="+49302345678", first_extension=100, last_extension=999)
    assert save_number_block(block) == 900 - 2 - 20  # 110, 112, 770-779, 780-789
    extensions = set(block.numbers.values_list("extension", flat=True))
    assert {"110", "112", "770", "779", "780", "789"}.isdisjoint(extensions)
    assert {"111", "113", "118", "769", "790"} <= extensions


def test_it_skips_five_digit_extensions_starting_with_118(trunk):
    block = NumberBlock(trunk=trunk, base="+49228188", first_extension=11795, last_extension=11805)
    save_number_block(block)
    assert sorted(block.numbers.values_list("extension", flat=True)) == [
        "11795",
        "11796",
        "11797",
        "11798",
        "11799",
    ]


def test_saving_a_block_again_adds_nothing(trunk):
    block = trunk.blocks.get()
    assert save_number_block(block) == 0
    assert trunk.numbers.count() == 88
