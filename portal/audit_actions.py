"""What each kind of audit event means: its label and how its sentence reads.

An event stores an action code and its parameters (``AuditEvent.details``), never a finished
sentence: the sentence is rendered here when the event is read, in the reader's language. The
parameters are plain data (usernames, names, order numbers, package codes and names, field
names, ISO dates), so an event written by an admin using English reads in German to one using
German. This module imports nothing of ``portal.models``, so the model can use it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.roles import AdminRole

Params = Mapping[str, Any]

#: The workplace fields an admin can edit (``workplaces.services.EDITABLE_FIELDS``), by the
#: workplace model's verbose names; the portal sits below the workplaces app and cannot ask it.
WORKPLACE_FIELDS = {
    "first_name": _("Vorname"),
    "last_name": _("Nachname"),
    "street": _("Straße"),
    "house_number": _("Hausnummer"),
    "postcode": _("PLZ"),
    "city": _("Ort"),
    "email": _("E-Mail-Adresse"),
    "auth_email": _("E-Mail-Adresse zur Authentifizierung"),
    "mobile": _("Mobilfunknummer"),
}


def format_date(iso: str) -> str:
    """A date as the active language writes it short: 01.04.2026 in German."""
    return date_format(dt.date.fromisoformat(iso), "SHORT_DATE_FORMAT")


def _package(name: str | None) -> str:
    return name or gettext("Kein Konferenzpaket")


def _workplace_created(p: Params) -> str:
    return gettext("Arbeitsplatz %(name)s (%(username)s) eingerichtet") % {
        "name": p["name"],
        "username": p["username"],
    }


def _workplace_edited(p: Params) -> str:
    fields = ", ".join(str(WORKPLACE_FIELDS.get(f, f)) for f in p["fields"])
    return gettext("%(username)s bearbeitet: %(fields)s") % {
        "username": p["username"],
        "fields": fields,
    }


def _package_changed(p: Params) -> str:
    return gettext("Paket von %(username)s: %(before)s → %(after)s") % {
        "username": p["username"],
        "before": _package(p["before"]),
        "after": _package(p["after"]),
    }


def _password_reset(p: Params) -> str:
    if p.get("forgotten"):
        message = gettext("Neues Passwort für %(username)s über „Passwort vergessen“ angefordert")
    else:
        message = gettext("Passwort von %(username)s zurückgesetzt")
    return message % {"username": p["username"]}


def _deletion_scheduled(p: Params) -> str:
    return gettext("Kündigung von %(username)s vorgemerkt zum %(date)s") % {
        "username": p["username"],
        "date": format_date(p["date"]),
    }


def _cancellation_withdrawn(p: Params) -> str:
    return gettext("Kündigung von %(username)s zum %(date)s zurückgenommen") % {
        "username": p["username"],
        "date": format_date(p["date"]),
    }


def _workplace_deleted(p: Params) -> str:
    return gettext("%(username)s gelöscht; Rufnummer %(number)s ist wieder frei") % {
        "username": p["username"],
        "number": p["number"] or "–",
    }


def _phone_set_up(p: Params) -> str:
    return gettext("Telefon von %(username)s über „Telefon einrichten“ eingerichtet") % {
        "username": p["username"]
    }


def _order_placed(p: Params) -> str:
    return gettext("Auftrag %(number)s bestellt") % {"number": p["number"]}


def _webhook_created(p: Params) -> str:
    return gettext("Webhook-Endpunkt %(url)s hinzugefügt") % {"url": p["url"]}


def _webhook_removed(p: Params) -> str:
    return gettext("Webhook-Endpunkt %(url)s entfernt") % {"url": p["url"]}


def _role(code: str) -> str:
    return str(AdminRole(code).label) if code in AdminRole.values else code


def _trunks(names: list[str] | None) -> str:
    return ", ".join(names) if names else gettext("alle SIP-Trunks")


def _admin_invited(p: Params) -> str:
    return gettext("%(email)s als %(role)s eingeladen (%(trunks)s)") % {
        "email": p["email"],
        "role": _role(p["role"]),
        "trunks": _trunks(p["trunks"]),
    }


def _admin_invitation_resent(p: Params) -> str:
    return gettext("Einladung an %(email)s erneut gesendet") % {"email": p["email"]}


def _admin_invitation_revoked(p: Params) -> str:
    return gettext("Einladung an %(email)s widerrufen") % {"email": p["email"]}


def _admin_joined(p: Params) -> str:
    return gettext("%(email)s hat die Einladung als %(username)s angenommen") % {
        "email": p["email"],
        "username": p["username"],
    }


def _admin_changed(p: Params) -> str:
    return gettext("%(username)s ist jetzt %(role)s (%(trunks)s)") % {
        "username": p["username"],
        "role": _role(p["role"]),
        "trunks": _trunks(p["trunks"]),
    }


def _admin_deactivated(p: Params) -> str:
    return gettext("Administrator %(username)s deaktiviert") % {"username": p["username"]}


def _two_factor_set_up(p: Params) -> str:
    return gettext("Zwei-Faktor-Anmeldung für %(username)s eingerichtet") % {
        "username": p["username"]
    }


def _two_factor_reset(p: Params) -> str:
    return gettext("Zwei-Faktor-Anmeldung von %(username)s zurückgesetzt") % {
        "username": p["username"]
    }


def _two_factor_required(p: Params) -> str:
    if p["required"]:
        return gettext("Zwei-Faktor-Anmeldung für alle Administratoren verlangt")
    return gettext("Zwei-Faktor-Anmeldung nicht mehr für alle Administratoren verlangt")


@dataclass(frozen=True)
class Action:
    """One kind of event: its label, its sentence, and which parameters a search finds."""

    label: Promise
    render: Callable[[Params], str]
    #: Parameters searched as they are (usernames, names, numbers): the same in any language.
    searched: tuple[str, ...] = ()
    #: ISO dates, searched in every language's short form too (01.04.2026).
    dates: tuple[str, ...] = ()


ACTIONS: dict[str, Action] = {
    "workplace_created": Action(
        _("Eingerichtet"), _workplace_created, searched=("username", "name")
    ),
    "workplace_edited": Action(_("Bearbeitet"), _workplace_edited, searched=("username",)),
    "package_changed": Action(
        _("Paket geändert"),
        _package_changed,
        searched=("username", "before", "before_code", "after", "after_code"),
    ),
    "password_reset": Action(_("Passwort zurückgesetzt"), _password_reset, searched=("username",)),
    "deletion_scheduled": Action(
        _("Kündigung vorgemerkt"), _deletion_scheduled, searched=("username",), dates=("date",)
    ),
    "cancellation_withdrawn": Action(
        _("Kündigung zurückgenommen"),
        _cancellation_withdrawn,
        searched=("username",),
        dates=("date",),
    ),
    "workplace_deleted": Action(
        _("Gelöscht"), _workplace_deleted, searched=("username", "number", "e164")
    ),
    "phone_set_up": Action(_("Telefon eingerichtet"), _phone_set_up, searched=("username",)),
    "order_placed": Action(_("Auftrag bestellt"), _order_placed, searched=("number",)),
    "webhook_created": Action(_("Webhook hinzugefügt"), _webhook_created, searched=("url",)),
    "webhook_removed": Action(_("Webhook entfernt"), _webhook_removed, searched=("url",)),
    "admin_invited": Action(_("Administrator eingeladen"), _admin_invited, searched=("email",)),
    "admin_invitation_resent": Action(
        _("Einladung erneut gesendet"), _admin_invitation_resent, searched=("email",)
    ),
    "admin_invitation_revoked": Action(
        _("Einladung widerrufen"), _admin_invitation_revoked, searched=("email",)
    ),
    "admin_joined": Action(
        _("Einladung angenommen"), _admin_joined, searched=("email", "username")
    ),
    "admin_changed": Action(_("Rolle geändert"), _admin_changed, searched=("username",)),
    "admin_deactivated": Action(
        _("Administrator deaktiviert"), _admin_deactivated, searched=("username",)
    ),
    "two_factor_set_up": Action(
        _("Zwei-Faktor eingerichtet"), _two_factor_set_up, searched=("username",)
    ),
    "two_factor_reset": Action(
        _("Zwei-Faktor zurückgesetzt"), _two_factor_reset, searched=("username",)
    ),
    "two_factor_required": Action(_("Zwei-Faktor-Pflicht geändert"), _two_factor_required),
}


def action_choices() -> list[tuple[str, Promise]]:
    return [(code, action.label) for code, action in ACTIONS.items()]


def label(code: str) -> str:
    action = ACTIONS.get(code)
    return str(action.label) if action else code


def render(code: str, params: Params) -> str:
    """The event's sentence in the active language; an unknown code shows as it is."""
    action = ACTIONS.get(code)
    return action.render(params) if action else code


def search_text(code: str, params: Params) -> str:
    """What the Protokoll search looks in: the parameters that read alike in any language."""
    return "\n".join(_search_terms(ACTIONS[code], params))


def _search_terms(action: Action, params: Params) -> Iterator[str]:
    for key in action.searched:
        if params.get(key):
            yield str(params[key])
    for key in action.dates:
        yield params[key]
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                yield format_date(params[key])
