"""Understand a conference package as people write it: the short name (``Plus``), the full name
(``Konferenz Plus``) or the code (``konferenz-plus``), and "none" (``Kein``). The list import's
``Konferenzpaket`` cells, its template and the CSV export use it."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from catalog.models import Package

#: What "no package" may be written as (compared case-insensitively).
NO_PACKAGE = ("kein", "keins", "keines", "ohne")
NO_PACKAGE_LABEL = "Kein"


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def package_short_name(package: Package) -> str:
    """``Konferenz Plus`` -> ``Plus``: what the template asks people to write."""
    name = " ".join(package.name.split())
    short = name[len("Konferenz") :].strip() if _key(name).startswith("konferenz ") else name
    return short or name


def match_package(value: str, packages: Iterable[Package]) -> Package | None:
    """The package a ``Konferenzpaket`` cell names, None for empty or ``Kein``.

    Accepted, case-insensitively: the short name (``Plus``), the full name (``Konferenz
    Plus``) and the code (``konferenz-plus``). Raises ``ValidationError`` listing the choices.
    """
    key = _key(value)
    if not key or key in NO_PACKAGE:
        return None
    packages = list(packages)
    for names_of in (lambda p: (p.name,), lambda p: (p.code,), lambda p: (package_short_name(p),)):
        for package in packages:
            if key in {_key(name) for name in names_of(package)}:
                return package
    choices = ", ".join([NO_PACKAGE_LABEL, *(package_short_name(p) for p in packages)])
    example = packages[-1].name if packages else "Konferenz Plus"
    raise ValidationError(
        _(
            "„%(value)s“ ist kein Konferenzpaket. Möglich sind: %(choices)s, oder der volle Name, "
            "z. B. „%(example)s“."
        )
        % {"value": value.strip(), "choices": choices, "example": example},
        code="unknown_package",
    )
