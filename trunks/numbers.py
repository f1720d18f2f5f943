"""Formatting and search normalisation for German phone numbers."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

_FORMAT_CACHE: dict[str, tuple[str, str]] = {}


def _area_split(e164: str) -> tuple[str, str]:
    """Split a German E.164 number into area code and the rest, e.g. ('228', '18123410')."""
    cached = _FORMAT_CACHE.get(e164)
    if cached is None:
        try:
            parsed = phonenumbers.parse(e164, None)
            nsn = phonenumbers.national_significant_number(parsed)
            area_len = phonenumbers.length_of_geographical_area_code(parsed)
            if not area_len:
                area_len = phonenumbers.length_of_national_destination_code(parsed)
        except phonenumbers.NumberParseException:
            nsn, area_len = e164.removeprefix("+49"), 0
        cached = (nsn[:area_len], nsn[area_len:])
        if len(_FORMAT_CACHE) < 200_000:
            _FORMAT_CACHE[e164] = cached
    return cached


def format_national(e164: str, extension: str = "") -> str:
    """``0228 181234-10``: the way people in Germany write a number with a Durchwahl."""
    area, rest = _area_split(e164)
    if extension and rest.endswith(extension):
        rest = f"{rest[: -len(extension)]}-{extension}"
    return f"0{area} {rest}" if area else f"0{rest}"


def format_international(e164: str, extension: str = "") -> str:
    """``+49 228 181234-10``."""
    area, rest = _area_split(e164)
    if extension and rest.endswith(extension):
        rest = f"{rest[: -len(extension)]}-{extension}"
    return f"+49 {area} {rest}" if area else f"+49 {rest}"


@dataclass(frozen=True)
class NumberQuery:
    """A search for numbers: a prefix of the E.164 form, or digits anywhere."""

    prefix: str = ""
    contains: str = ""


def parse_number_query(raw: str) -> NumberQuery:
    """Understand ``0228 1812``, ``+49 228...``, ``0049...``, ``*030`` and bare digits.

    A leading ``0`` or ``+49`` searches from the start of the number (area code first);
    ``*`` or digits without a leading 0 search anywhere in the number.
    """
    text = raw.strip()
    anywhere = text.startswith("*")
    digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    plus = text.lstrip("*").lstrip().startswith("+")
    if not digits:
        return NumberQuery()
    if anywhere:
        return NumberQuery(contains=digits)
    if plus:
        return NumberQuery(prefix="+" + digits)
    if digits.startswith("00"):
        return NumberQuery(prefix="+" + digits[2:])
    if digits.startswith("0"):
        return NumberQuery(prefix="+49" + digits[1:])
    return NumberQuery(contains=digits)
