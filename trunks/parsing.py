"""Understand a number as people write it (``0228 181234-13``, ``+49 228 18123413``, the
extension alone ...) and find the trunk's number it means: the list import's ``Rufnummer``
cells and the composite setup command (``workplaces.services.setup.put_in_cart``) use it.

(It is not in :mod:`trunks.numbers`, which the models import, because it asks the models.)"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from trunks.models import MAX_EXTENSION_DIGITS, Number, SipTrunk
from trunks.numbers import format_national
from trunks.validators import parse_german_number, validate_extension, validate_number_length

#: Besides digits, what people put into a phone number: ``(0228) 181234-13``, ``0228/18 12 34``.
#: No dot: ``13.0`` from a program's export must not become the extension 130.
_SEPARATORS = frozenset(" \u00a0-\u2010\u2011\u2013/()")


@dataclass(frozen=True)
class TrunkNumbers:
    """All numbers of one trunk, loaded once, for reading thousands of rows."""

    e164s: frozenset[str]
    by_extension: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, trunk: SipTrunk) -> TrunkNumbers:
        return cls.from_rows(Number.objects.filter(trunk=trunk).values_list("e164", "extension"))

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str]]) -> TrunkNumbers:
        """From the trunk's (E.164, extension) pairs, read elsewhere."""
        by_extension: dict[str, list[str]] = {}
        e164s = set()
        for e164, extension in rows:
            e164s.add(e164)
            if extension:
                by_extension.setdefault(extension, []).append(e164)
        return cls(frozenset(e164s), {k: tuple(sorted(v)) for k, v in by_extension.items()})

    def existing(self, candidates: list[str]) -> list[str]:
        return [c for c in candidates if c in self.e164s]

    def with_extension(self, extension: str) -> list[str]:
        return list(self.by_extension.get(extension, ()))


@dataclass(frozen=True)
class _Queries:
    """The same questions as :class:`TrunkNumbers`, asked of the database (for one value)."""

    trunk: SipTrunk

    def existing(self, candidates: list[str]) -> list[str]:
        found = set(
            Number.objects.filter(trunk=self.trunk, e164__in=candidates).values_list(
                "e164", flat=True
            )
        )
        return [c for c in candidates if c in found]

    def with_extension(self, extension: str) -> list[str]:
        numbers = Number.objects.filter(trunk=self.trunk, extension=extension).order_by("e164")
        return list(numbers.values_list("e164", flat=True)[:10])


def not_a_number_error(value: str) -> ValidationError:
    """``value`` is no way of writing a number (the refusal of every door)."""
    return ValidationError(
        _(
            "„%(value)s“ ist keine Rufnummer. Möglich sind z. B. 0228 181234-13, "
            "+49 228 18123413 oder nur die Durchwahl 13."
        )
        % {"value": value},
        code="number_format",
    )


def foreign_number_error(e164: str) -> ValidationError:
    """``e164`` is a number, but none of this trunk (the refusal of every door)."""
    return ValidationError(
        _("Die Rufnummer %(number)s gehört nicht zu diesem SIP-Trunk.")
        % {"number": format_national(e164)},
        code="foreign_number",
    )


def parse_rufnummer(value: str, trunk: SipTrunk | TrunkNumbers) -> str | None:
    """The E.164 form of the trunk's number that ``value`` means, or None for an empty cell.

    Understood: ``0228 181234-13``, ``+49 228 18123413``, ``+49 (0)228 ...``, ``0049 ...``,
    ``022818123413``, and the extension alone (``13``), which must name exactly one number of
    the trunk. Digits without a leading 0 that are longer than an extension are a number
    whose 0 (or +) Excel dropped: ``22818123413`` or ``4922818123413``. Pass
    :meth:`TrunkNumbers.of` when reading many rows. Whether the number is free is the
    caller's question. Raises ``ValidationError`` with a German message.
    """
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return None
    numbers = trunk if isinstance(trunk, TrunkNumbers) else _Queries(trunk)
    body = text.removeprefix("+")
    if not body or any(not ((ch.isascii() and ch.isdigit()) or ch in _SEPARATORS) for ch in body):
        raise not_a_number_error(value)
    digits = "".join(ch for ch in body if ch.isdigit())
    if not digits:
        raise not_a_number_error(value)
    if text.startswith("+") or digits.startswith("00"):
        return _full_number(numbers, "+" + digits.removeprefix("00"))
    if digits.startswith("0") and digits != "0":
        return _full_number(numbers, digits)
    if len(digits) <= MAX_EXTENSION_DIGITS:
        return _extension(numbers, digits)
    # Excel took the 0 (or the +) of a number typed into a cell as a number.
    candidates = ["+49" + digits] + (["+" + digits] if digits.startswith("49") else [])
    found = numbers.existing(candidates)
    if len(found) == 1:
        return found[0]
    if found:
        raise _ambiguous(found)
    raise foreign_number_error(candidates[0])


def _full_number(numbers: TrunkNumbers | _Queries, written: str) -> str:
    number = parse_german_number(written)
    if number.country_code != 49:
        raise ValidationError(
            _("Die Rufnummer muss eine deutsche Rufnummer (+49) sein."), code="number_country"
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    validate_number_length(e164)
    if not numbers.existing([e164]):
        raise foreign_number_error(e164)
    return e164


def _extension(numbers: TrunkNumbers | _Queries, extension: str) -> str:
    validate_extension(extension)
    found = numbers.with_extension(extension)
    if not found:
        raise ValidationError(
            _(
                "Die Durchwahl %(extension)s gibt es auf diesem SIP-Trunk nicht. Bitte geben Sie "
                "die ganze Rufnummer an, z. B. 0228 181234-13."
            )
            % {"extension": extension},
            code="unknown_extension",
        )
    if len(found) > 1:
        raise _ambiguous(found)
    return found[0]


def _ambiguous(found: list[str]) -> ValidationError:
    return ValidationError(
        _("Das passt zu mehreren Rufnummern (%(numbers)s). Bitte geben Sie die ganze Rufnummer an.")
        % {"numbers": ", ".join(format_national(e164) for e164 in found[:3])},
        code="ambiguous_number",
    )
