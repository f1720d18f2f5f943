"""The label of a field's choice in the active language, for rows of long lists.

``{{ obj.get_status_display }}`` builds a dict of every choice of the field at each call,
hashing (and so translating) every label: for a table of 50 rows with two such columns that is
several hundred translations. ``{{ obj|label:"status" }}`` shows the same text from a mapping
translated once per field and language.
"""

from __future__ import annotations

from functools import cache

from django import template
from django.db.models import Field, Model
from django.utils.translation import get_language

register = template.Library()


@cache
def labels(field: Field, language: str | None) -> dict:
    """``{value: label}`` of ``field``'s choices, translated into ``language`` (active)."""
    return {value: str(text) for value, text in field.flatchoices}


@register.filter
def label(obj: Model, name: str) -> str:
    """What ``obj.get_<name>_display()`` shows."""
    field = obj._meta.get_field(name)
    value = getattr(obj, field.attname)
    return labels(field, get_language()).get(value, value)
