from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.audit_actions import action_choices
from portal.throttling import LOCKED_EVERYWHERE, LOCKED_ON_DEVICE
from portal.trigram import AnyOf


def lockout_message(request: HttpRequest) -> str:
    """The German message for django-axes' lockout of this request, saying what it covers.

    A lock of the username from every address (``LOGIN_FAILURES_PER_USERNAME``) ends at most
    the cool-off time after the failure that set it off, sooner as older failures age out.
    """
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    lock = getattr(request, "login_lock", None)
    if lock == LOCKED_ON_DEVICE:
        message = gettext(
            "Zu viele fehlgeschlagene Anmeldeversuche: Die Anmeldung mit diesem Benutzernamen "
            "ist in diesem Browser für %(minutes)s Minuten gesperrt. Bitte versuchen Sie es "
            "danach erneut."
        )
    elif lock == LOCKED_EVERYWHERE:
        message = gettext(
            "Zu viele fehlgeschlagene Anmeldeversuche: Zum Schutz des Kontos ist die Anmeldung "
            "mit diesem Benutzernamen für bis zu %(minutes)s Minuten gesperrt, von jedem "
            "Netzwerk aus. Bitte versuchen Sie es danach erneut."
        )
    else:
        message = gettext(
            "Zu viele fehlgeschlagene Anmeldeversuche: Die Anmeldung mit diesem Benutzernamen "
            "ist von Ihrem Netzwerk aus für %(minutes)s Minuten gesperrt. Bitte versuchen Sie "
            "es danach erneut."
        )
    return message % {"minutes": minutes}


def has_lockout_error(form: forms.BaseForm) -> bool:
    """Whether ``form`` refused because django-axes locked the login (code ``locked_out``)."""
    return any(
        error.code == "locked_out" for errors in form.errors.as_data().values() for error in errors
    )


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form in German, saying so when django-axes has locked the login."""

    error_messages = {
        "invalid_login": _(
            "Benutzername oder Passwort sind nicht korrekt. Bitte achten Sie auf Groß- und "
            "Kleinschreibung."
        ),
        "inactive": _("Dieses Konto ist deaktiviert."),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Benutzername")
        self.fields["password"].label = _("Passwort")

    def get_invalid_login_error(self) -> ValidationError:
        # The axes backend (or its failure handler) flags the request when the limit is hit.
        if getattr(self.request, "axes_locked_out", False):
            return ValidationError(lockout_message(self.request), code="locked_out")
        return super().get_invalid_login_error()


class LoginForm(ThrottledLoginForm):
    """The admin portal's login: customer admins (and provider staff), not MyPortal users."""

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not (user.is_customer_admin or user.is_staff):
            raise ValidationError(
                gettext(
                    "Dieses Konto ist kein Administratorkonto. Als Benutzer eines SIP-Trunk "
                    "Arbeitsplatzes melden Sie sich bitte bei MyPortal an: %(url)s"
                )
                % {"url": reverse("myportal:login")},
                code="not_admin",
            )


class ProtokollFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Aktion"), required=False)
    q = forms.CharField(label=_("Suche"), required=False, max_length=60)
    since = forms.DateField(
        label=_("Ab"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Alle")), *action_choices()]

    def apply(self, events):
        data = self.cleaned_data
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["q"]:
            query = data["q"].replace("\x00", "")
            # The parameters, not the sentence: it is rendered in the reader's language.
            # The events by a matching actor as a list of keys, not a join in the OR: so each
            # branch of the OR is an index scan (trigram indexes, migration 0010).
            by_actor = events.filter(actor__username__icontains=query).order_by().values("pk")
            events = events.filter(
                Q(search_text__icontains=query)
                | Q(AnyOf(F("pk"), by_actor))
                | Q(actor_label__icontains=query)
            )
        if data["since"]:
            events = events.filter(created_at__date__gte=data["since"])
        return events
