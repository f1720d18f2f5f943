"""Form fields for forms that only display what the setup service decides.

The rules (what a name, a postcode, a mobile number may be) live in the setup service and its
validators; a form translates the posted strings into a service call and shows the service's
messages next to the fields they concern.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from portal.errors import Refusal
from workplaces import validators
from workplaces.services import Checked


class InputField(forms.CharField):
    """Text the service checks: marked required for people (asterisk, ``required``), the
    length shown to the browser, but no rule of its own."""

    def __init__(self, *, max_length: int | None = None, required: bool = True, **kwargs) -> None:
        super().__init__(required=required, strip=True, **kwargs)
        self.validators = []
        if max_length:
            self.widget.attrs["maxlength"] = str(max_length)

    def validate(self, value) -> None:
        """Nothing: the service says what is missing or wrong."""


class TextField(forms.CharField):
    """Single-line search text: stripped, no control or invisible characters."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        try:
            return validators.clean_text(value, max_length=self.max_length or 10_000)
        except ValidationError as error:
            raise ValidationError(error.messages[0], code="control_characters") from None


def show(form: forms.Form, checked: Checked | Refusal) -> None:
    """Put the service's messages onto the form's fields (GENERAL and unknown fields above
    the form), each with its code, and take the domain values of the fields without a message
    into ``cleaned_data`` (normalised e-mail, E.164 number, the Number row ...)."""
    for problem in checked.problems:
        target = problem.field if problem.field in form.fields else None
        form.add_error(target, ValidationError(problem.message, code=problem.code))
    if isinstance(checked, Checked) and hasattr(form, "cleaned_data"):
        form.cleaned_data.update(
            {k: v for k, v in checked.values.items() if k not in checked.errors}
        )
