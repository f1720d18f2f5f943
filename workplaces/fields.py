"""Form fields that clean input into domain values (E.164 numbers, normalised e-mail)."""

from __future__ import annotations

import unicodedata

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from email_validator import EmailNotValidError, validate_email

_INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


def has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch) in _INVISIBLE for ch in value)


class TextField(forms.CharField):
    """Single-line text: stripped, no control or invisible characters."""

    def to_python(self, value):
        value = super().to_python(value)
        if value and has_control_characters(value):
            raise ValidationError(
                _("Bitte verwenden Sie nur sichtbare Zeichen (keine Steuerzeichen)."),
                code="control_characters",
            )
        return " ".join(value.split()) if value else value


class NormalizedEmailField(forms.EmailField):
    """An e-mail address checked by email-validator and returned in its normalised form."""

    default_validators: list = []

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            return validate_email(
                value, check_deliverability=False, allow_smtputf8=False
            ).normalized
        except EmailNotValidError:
            raise ValidationError(
                _("Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@firma.de."),
                code="invalid",
            ) from None


class MobileNumberField(forms.CharField):
    """A mobile number in national or international form, returned as E.164."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return ""
        cleaned = "".join(ch for ch in value if not ch.isspace() and ch not in "-/()")
        if not cleaned.isascii() or not cleaned.lstrip("+").isdigit() or cleaned.count("+") > 1:
            raise ValidationError(
                _("Eine Mobilfunknummer besteht aus Ziffern, z. B. 0170 1234567."),
                code="invalid",
            )
        try:
            number = phonenumbers.parse(cleaned, "DE")
        except phonenumbers.NumberParseException:
            raise ValidationError(
                _("Das ist keine gültige Rufnummer, z. B. 0170 1234567."), code="invalid"
            ) from None
        if not phonenumbers.is_valid_number(number):
            raise ValidationError(
                _("Das ist keine gültige Rufnummer, z. B. 0170 1234567."), code="invalid"
            )
        if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
            raise ValidationError(
                _("Das ist keine Mobilfunknummer; die SMS kann nur an ein Handy gehen."),
                code="not_mobile",
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
