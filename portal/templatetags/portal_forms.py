"""Template helpers for showing a form's errors."""

from __future__ import annotations

from django import template
from django.forms import BoundField, Form

register = template.Library()


@register.filter
def invalid_fields(form: Form) -> list[BoundField]:
    """The visible fields of ``form`` that have errors, in the form's order."""
    return [field for field in form.visible_fields() if field.errors]


@register.filter
def input_id(field: BoundField) -> str:
    """The id of the element to focus for ``field``: its input, or the first of its radios."""
    if getattr(field.field.widget, "input_type", None) == "radio":
        return f"{field.auto_id}_0"
    return field.auto_id
