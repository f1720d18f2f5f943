"""Helpers for the rows of long lists: what a row shows, done once per page, not per row.

``{{ obj.get_status_display }}`` builds a dict of every choice of the field at each call,
hashing (and so translating) every label: a table of 50 rows with two such columns made
several hundred translations. ``{{ obj|label:"status" }}`` shows the same text from a mapping
translated once per field and language.

``{% url 'manage:detail' w.code %}`` resolves the pattern again for every row;
``{% row_url 'manage:detail' w.code %}`` reverses it once per page and puts each row's code in.
"""

from __future__ import annotations

from functools import cache

from django import template
from django.db.models import Field, Model
from django.utils.translation import get_language

from portal.links import Urls

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


@register.simple_tag(takes_context=True)
def row_url(context, name: str, code) -> str:
    """What ``{% url name code %}`` gives, for a URL whose only argument is a ``str`` code."""
    urls = context.render_context.get("row_urls")
    if urls is None:
        urls = context.render_context["row_urls"] = Urls()
    return urls(name, code)
