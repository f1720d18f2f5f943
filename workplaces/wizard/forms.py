"""The wizard's forms: they render the seed's fields and show what the setup service says.

Benutzerdaten and the contacts are shared with the edit form (``workplaces.forms``). A step's
form only reads what was posted; the command the step calls checks the rules, once, and the
view shows its refusal on these fields (``workplaces.fields.show``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import Package
from portal.policy import Actor
from trunks.models import Number, SipTrunk
from workplaces.fields import InputField, show
from workplaces.forms import ContactFields
from workplaces.models import SetupDraft, field_limit
from workplaces.services import setup


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
    """Step 1, SIP-Trunk: one of the customer's trunks with a place left."""

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

    def __init__(self, *args, trunks: list[SipTrunk], actor: Actor, draft=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.trunks, self.actor, self.draft = trunks, actor, draft
        own = draft.trunk_id if draft is not None else None
        full = {t.pk for t in trunks if t.quota_left <= 0 and t.pk != own}
        field = self.fields["trunk"]
        field.queryset = SipTrunk.objects.filter(pk__in=[t.pk for t in trunks])
        field.widget = TrunkRadioSelect(full=full)
        field.choices = [(t.code, t.name) for t in trunks]

    def clean(self):
        # With a draft, ``change_trunk`` checks the choice; the start page has no command.
        trunk = self.cleaned_data.get("trunk")
        if trunk is not None and self.draft is None:
            show(self, setup.check_trunk(trunk=trunk, actor=self.actor))
        return self.cleaned_data


class LoginDataForm(ContactFields):
    """Step 3, Benutzeranmeldung: username and how the credentials travel."""

    username = InputField(
        label=_("Benutzername"),
        max_length=field_limit("username"),
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

    def clean(self):
        """``reserve_username`` checks the username and the contacts."""
        cleaned = super().clean()
        if cleaned.get("use_user_email") and self.draft.email:
            cleaned["auth_email"] = cleaned["auth_email_repeat"] = self.draft.email
        return cleaned


class NumberChoiceForm(forms.Form):
    """Step 4, Rufnummer zuweisen: one number of the draft's trunk."""

    number = InputField(label=_("Rufnummer"), max_length=Number._meta.get_field("e164").max_length)

    def __init__(self, *args, draft: SetupDraft, **kwargs) -> None:
        """The posted E.164 number; ``reserve_number`` checks it."""
        super().__init__(*args, **kwargs)
        self.draft = draft


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

    def __init__(self, *args, packages: list[Package], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.packages = {p.code: p for p in packages}
        self.fields["package"].choices = [(self.NONE, _("Kein Konferenzpaket"))] + [
            (p.code, p.name) for p in packages
        ]

    def clean_package(self) -> Package | None:
        code = self.cleaned_data["package"]
        return None if code == self.NONE else self.packages[code]
