from __future__ import annotations

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from trunks.models import Number, SipTrunk
from trunks.numbers import format_national
from workplaces.fields import MobileNumberField, NormalizedEmailField, TextField
from workplaces.models import SetupDraft, Workplace
from workplaces.services import username_taken
from workplaces.validators import validate_postcode, validate_username

_NAME = re.compile(r"[^\W\d_]+(?:[ '’.\-][^\W\d_]*)*", re.UNICODE)
_HOUSE_NUMBER = re.compile(r"[0-9]{1,4} ?[a-zA-Z]?(?: ?[-/] ?[0-9]{1,4} ?[a-zA-Z]?)?")


class TrunkRadioSelect(forms.RadioSelect):
    """Trunks whose quota is used up are shown but cannot be chosen."""

    def __init__(self, *args, full: set[int] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.full = full or set()

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if getattr(value, "value", value) in self.full:
            option["attrs"]["disabled"] = True
        return option


class TrunkForm(forms.Form):
    trunk = forms.ModelChoiceField(
        label=_("SIP-Trunk"),
        queryset=SipTrunk.objects.none(),
        empty_label=None,
        to_field_name="code",
        error_messages={
            "required": _("Bitte wählen Sie einen SIP-Trunk aus."),
            "invalid_choice": _("Bitte wählen Sie einen SIP-Trunk aus der Liste."),
        },
    )

    def __init__(self, *args, trunks: list[SipTrunk], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.trunks = trunks
        full = {t.pk for t in trunks if t.quota_left <= 0}
        field = self.fields["trunk"]
        field.queryset = SipTrunk.objects.filter(pk__in=[t.pk for t in trunks])
        field.widget = TrunkRadioSelect(full=full)
        field.choices = [(t.code, t.name) for t in trunks]
        self.full = full

    def clean_trunk(self) -> SipTrunk:
        trunk = self.cleaned_data["trunk"]
        if trunk.pk in self.full:
            raise ValidationError(
                _(
                    "Das Kontingent dieses SIP-Trunks ist ausgeschöpft. Wenden Sie sich an den "
                    "Kundenservice, um es zu erweitern."
                ),
                code="quota",
            )
        return trunk


class UserDataForm(forms.ModelForm):
    """Step 2, Benutzerdaten."""

    first_name = TextField(label=_("Vorname"), max_length=60)
    last_name = TextField(label=_("Nachname"), max_length=60)
    street = TextField(label=_("Straße"), max_length=100)
    house_number = TextField(label=_("Hausnummer"), max_length=10)
    postcode = TextField(label=_("PLZ"), max_length=5, validators=[validate_postcode])
    city = TextField(label=_("Ort"), max_length=60)
    email = NormalizedEmailField(label=_("E-Mail-Adresse"), required=False, max_length=254)

    class Meta:
        model = SetupDraft
        fields = ["first_name", "last_name", "street", "house_number", "postcode", "city", "email"]

    def _clean_name(self, field: str) -> str:
        value = self.cleaned_data[field]
        # \w also matches numerals that are not digits (½, ², Ⅻ): no letters either.
        if not _NAME.fullmatch(value) or any(unicodedata.category(ch)[0] == "N" for ch in value):
            raise ValidationError(
                _("Bitte nur Buchstaben, Leerzeichen, Bindestrich, Punkt oder Apostroph."),
                code="name",
            )
        return value

    def clean_first_name(self) -> str:
        return self._clean_name("first_name")

    def clean_last_name(self) -> str:
        return self._clean_name("last_name")

    def clean_city(self) -> str:
        return self._clean_name("city")

    def clean_street(self) -> str:
        value = self.cleaned_data["street"]
        if not any(ch.isalpha() for ch in value) or any(
            ch in "<>{}[]|\\^~`@#$%*=+;" for ch in value
        ):
            raise ValidationError(_("Bitte geben Sie einen Straßennamen ein."), code="street")
        return value

    def clean_house_number(self) -> str:
        value = self.cleaned_data["house_number"]
        if not _HOUSE_NUMBER.fullmatch(value):
            raise ValidationError(
                _("Bitte geben Sie eine Hausnummer wie 12, 12a oder 12-14 ein."),
                code="house_number",
            )
        return value


class ContactFields(forms.Form):
    """How the credentials travel: e-mail twice, and a mobile number or the box without one."""

    auth_email = NormalizedEmailField(
        label=_("E-Mail-Adresse zur Authentifizierung"), required=False, max_length=254
    )
    auth_email_repeat = NormalizedEmailField(
        label=_("E-Mail-Adresse wiederholen"), required=False, max_length=254
    )
    mobile = MobileNumberField(label=_("Mobilfunknummer"), required=False, max_length=30)
    without_mobile = forms.BooleanField(
        label=_("Authentifizierung ohne Mobilfunknummer"), required=False
    )

    def clean(self):
        cleaned = super().clean()
        self.clean_contacts(cleaned)
        return cleaned

    def clean_contacts(self, cleaned: dict) -> None:
        email, repeat = cleaned.get("auth_email"), cleaned.get("auth_email_repeat")
        if "auth_email" not in self.errors and not email:
            self.add_error(
                "auth_email",
                ValidationError(
                    _("Bitte geben Sie die E-Mail-Adresse zur Authentifizierung ein."),
                    code="required",
                ),
            )
        elif (
            email
            and "auth_email_repeat" not in self.errors
            and email.lower() != (repeat or "").lower()
        ):
            self.add_error(
                "auth_email_repeat",
                ValidationError(
                    _("Die beiden E-Mail-Adressen stimmen nicht überein."), code="email_mismatch"
                ),
            )
        mobile, without = cleaned.get("mobile"), cleaned.get("without_mobile")
        if "mobile" not in self.errors:
            if without and mobile:
                self.add_error(
                    "mobile",
                    ValidationError(
                        _(
                            "Sie haben „Authentifizierung ohne Mobilfunknummer“ gewählt. Lassen "
                            "Sie dieses Feld leer oder entfernen Sie das Häkchen."
                        ),
                        code="mobile_and_without",
                    ),
                )
            elif not without and not mobile:
                self.add_error(
                    "mobile",
                    ValidationError(
                        _(
                            "Bitte geben Sie eine Mobilfunknummer ein, oder wählen Sie "
                            "„Authentifizierung ohne Mobilfunknummer“."
                        ),
                        code="mobile_required",
                    ),
                )


class LoginDataForm(ContactFields):
    """Step 3, Benutzeranmeldung: username and how the credentials travel."""

    username = forms.CharField(
        label=_("Benutzername"),
        max_length=64,
        strip=True,
        help_text=_(
            "Mindestens fünf Zeichen: Kleinbuchstaben und Ziffern, keine Umlaute. Unterstrich, "
            "Bindestrich und Punkt sind erlaubt, wenn davor und danach ein Buchstabe oder eine "
            "Ziffer steht. Beginnt und endet mit einem Buchstaben oder einer Ziffer."
        ),
    )
    use_user_email = forms.BooleanField(
        label=_("E-Mail-Adresse aus den Benutzerdaten übernehmen"), required=False
    )

    def __init__(self, *args, draft: SetupDraft, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.draft = draft
        if not draft.email:
            del self.fields["use_user_email"]
        self.order_fields(["username", "use_user_email"])

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        validate_username(username)
        if username_taken(username, draft=self.draft):
            raise ValidationError(
                _(
                    "Der Benutzername „%(name)s“ ist bereits vergeben. Bitte wählen Sie einen anderen."
                )
                % {"name": username},
                code="username_taken",
            )
        return username

    def clean(self):
        if self.cleaned_data.get("use_user_email") and self.draft.email:
            self.cleaned_data["auth_email"] = self.cleaned_data["auth_email_repeat"] = (
                self.draft.email
            )
            self.errors.pop("auth_email", None)
            self.errors.pop("auth_email_repeat", None)
        return super().clean()


class WorkplaceEditForm(ContactFields, UserDataForm):
    """Benutzerdaten and contacts of an existing workplace (the username never changes)."""

    class Meta(UserDataForm.Meta):
        model = Workplace

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # The contacts are form fields, not Meta fields: the instance does not fill them.
            self.initial.update(
                auth_email=self.instance.auth_email,
                auth_email_repeat=self.instance.auth_email,
                mobile=format_national(self.instance.mobile) if self.instance.mobile else "",
                without_mobile=not self.instance.mobile,
            )
        for name in ("auth_email", "auth_email_repeat"):
            self.fields[name].widget.attrs["aria-required"] = "true"


class NumberChoiceForm(forms.Form):
    """Step 4, Rufnummer zuweisen: one number of the draft's trunk."""

    number = forms.CharField(
        label=_("Rufnummer"),
        max_length=20,
        error_messages={"required": _("Bitte wählen Sie eine Rufnummer aus.")},
    )

    def __init__(self, *args, trunk: SipTrunk, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.trunk = trunk

    def clean_number(self) -> Number:
        value = self.cleaned_data["number"]
        number = Number.objects.filter(trunk=self.trunk, e164=value).first()
        if number is None:
            raise ValidationError(
                _("Diese Rufnummer gehört nicht zu diesem SIP-Trunk."), code="foreign_number"
            )
        return number


class PackageChoiceForm(forms.Form):
    """Step 5, Konferenzpaket buchen: none or one package."""

    NONE = "none"

    package = forms.ChoiceField(
        label=_("Konferenzpaket"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Bitte wählen Sie ein Konferenzpaket oder „Kein Konferenzpaket“."),
            "invalid_choice": _("Bitte wählen Sie ein Paket aus der Liste."),
        },
    )

    def __init__(self, *args, packages: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.packages = {p.code: p for p in packages}
        self.fields["package"].choices = [(self.NONE, _("Kein Konferenzpaket"))] + [
            (p.code, p.name) for p in packages
        ]

    def clean_package(self):
        code = self.cleaned_data["package"]
        return None if code == self.NONE else self.packages[code]
