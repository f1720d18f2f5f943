"""Money at the edge: amounts as the pages show them (the numbers come from catalog.models)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def euro(amount: Decimal) -> str:
    """``16,80 €`` (grouping and decimal sign of the active language)."""
    return f"{floatformat(amount, '2g')} €"


@register.filter
def signed_euro(amount: Decimal) -> str:
    """``+5,00 €`` / ``−16,80 €`` / ``±0,00 €``: what a change adds to a monthly amount."""
    sign = "+" if amount > 0 else "\N{MINUS SIGN}" if amount < 0 else "±"
    return f"{sign}{euro(abs(amount))}"
