from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.forms import ThrottledLoginForm, lockout_message
from workplaces.myportal import services
from workplaces.validators import MAX_USERNAME_LENGTH, validate_username


class MyPortalLoginForm(ThrottledLoginForm):
    """Only the login of a live workplace gets in; admins are sent to the admin portal."""

    def get_invalid_login_error(self) -> ValidationError:
        # The password backend flags a new password the SIP registrar could not take yet.
        if getattr(self.request, "registrar_unavailable", False):
            return ValidationError(
                _(
                    "Ihr neues Passwort kann gerade nicht aktiviert werden, weil der Telefondienst "
                    "nicht erreichbar ist. Bitte versuchen Sie es in einigen Minuten erneut; bis "
                    "dahin gilt Ihr bisheriges Passwort weiter."
                ),
                code="registrar_unavailable",
            )
        # The password backend flags a right temporary password that is too old.
        if getattr(self.request, "temporary_password_expired", False):
            return ValidationError(
                format_html(
                    gettext(
                        "Ihr temporäres Passwort ist abgelaufen. Fordern Sie über "
                        "„{link}“ ein neues an."
                    ),
                    link=format_html(
                        '<a href="{}">{}</a>',
                        reverse("myportal:password_forgotten"),
                        gettext("Passwort vergessen"),
                    ),
                ),
                code="temporary_password_expired",
            )
        return super().get_invalid_login_error()

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if services.workplace_of(user) is not None:
            return
        if services.has_workplace(user):
            raise ValidationError(
                _(
                    "Dieser Arbeitsplatz ist nicht mehr aktiv. Bitte wenden Sie sich an Ihren "
                    "Administrator."
                ),
                code="workplace_inactive",
            )
        raise ValidationError(
            gettext(
                "MyPortal ist für Benutzer eines SIP-Trunk Arbeitsplatzes. Als Administrator "
                "melden Sie sich bitte im Portal an: %(url)s"
            )
            % {"url": reverse("portal:login")},
            code="not_end_user",
        )


def _password_field(label, autocomplete: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


#: Django's validator messages, in the words MyPortal uses (by the validators' codes). A
#: validator not named here keeps its own message.
_PASSWORD_RULES = {
    "password_too_short": _(
        "Das Passwort ist zu kurz: Es muss mindestens %(min_length)d Zeichen haben."
    ),
    "password_too_common": _("Das Passwort ist zu verbreitet und daher leicht zu erraten."),
    "password_entirely_numeric": _("Das Passwort darf nicht nur aus Ziffern bestehen."),
    "password_too_similar": _(
        "Das Passwort ähnelt zu sehr Ihren eigenen Angaben (%(verbose_name)s)."
    ),
}


def _password_rules_broken(error: ValidationError) -> ValidationError:
    """Every rule the password breaks, each once, in MyPortal's words."""
    return ValidationError(
        [
            ValidationError(_PASSWORD_RULES[e.code], code=e.code, params=e.params)
            if e.code in _PASSWORD_RULES
            else e
            for e in error.error_list
        ]
    )


class PasswordChangeForm(forms.Form):
    """Current (temporary) password, then the new one twice; returns the new password.

    Right after a login with the temporary password (``ask_current`` False) the user has
    just typed it: the form does not ask for it again.
    """

    current_password = _password_field(
        _("Bisheriges Passwort"),
        "current-password",
        _("Bei der ersten Anmeldung: das temporäre Passwort aus SMS oder E-Mail."),
    )
    new_password = _password_field(
        _("Neues Passwort"),
        "new-password",
        _(
            "Mindestens 10 Zeichen, nicht nur Ziffern, kein gängiges Passwort, nicht ähnlich zu "
            "Ihrem Namen, Benutzernamen oder Ihrer E-Mail-Adresse, und schwer zu erraten: am "
            "besten mehrere ungewöhnliche Wörter. Es ist auch das Passwort Ihrer Telefone."
        ),
    )
    new_password_repeat = _password_field(_("Neues Passwort wiederholen"), "new-password")

    def __init__(self, request: HttpRequest, *args, ask_current: bool = True, **kwargs) -> None:
        self.request = request
        self.user = request.user
        super().__init__(*args, **kwargs)
        if not ask_current:
            del self.fields["current_password"]

    def clean_current_password(self) -> str:
        password = self.cleaned_data["current_password"]
        # Through authenticate(), so that django-axes counts a wrong password as a failed login
        # of this username from this address, and refuses even the right one while locked.
        user = authenticate(self.request, username=self.user.get_username(), password=password)
        if getattr(self.request, "axes_locked_out", False):
            raise ValidationError(lockout_message(self.request), code="locked_out")
        if user is None or user.pk != self.user.pk:
            raise ValidationError(
                _("Das bisherige Passwort ist nicht korrekt."), code="password_incorrect"
            )
        return password

    def clean_new_password(self) -> str:
        password = self.cleaned_data["new_password"]
        try:
            password_validation.validate_password(password, self.user)
        except ValidationError as error:
            raise _password_rules_broken(error) from None
        return password

    def clean(self) -> dict:
        data = super().clean()
        # The typed value, even when it broke a rule: a mismatch is reported at the same time.
        new = data.get("new_password") or self.data.get(self.add_prefix("new_password"))
        repeat = data.get("new_password_repeat")
        if new and repeat and new != repeat:
            self.add_error(
                "new_password_repeat",
                ValidationError(
                    _("Die beiden neuen Passwörter stimmen nicht überein."),
                    code="password_mismatch",
                ),
            )
        elif data.get("new_password") and self._is_current_password(new):
            self.add_error(
                "new_password",
                ValidationError(
                    _("Das neue Passwort muss sich vom bisherigen Passwort unterscheiden."),
                    code="password_unchanged",
                ),
            )
        return data

    def _is_current_password(self, password: str) -> bool:
        if "current_password" in self.fields:
            return password == self.cleaned_data.get("current_password")
        return self.user.check_password(password)


class PasswordForgottenForm(forms.Form):
    username = forms.CharField(
        label=_("Benutzername"),
        max_length=MAX_USERNAME_LENGTH,
        validators=[validate_username],
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
        help_text=_("Den Benutzernamen finden Sie in Ihrer Begrüßungs-E-Mail."),
    )
