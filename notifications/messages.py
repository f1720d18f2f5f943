"""One function per message: subject and bodies, rendered from the row's data."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from notifications.models import Notification
from provisioning.services import is_connected

#: Letters and digits that cannot be confused (no 0/O, 1/l/I) and are all GSM-7.
PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"  # noqa: S105 (an alphabet, not a password)
PASSWORD_LENGTH = 12


def temporary_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


class Secret(str):
    """Renders as itself, shows as stars in a ``repr``: Django's ``django.template`` logger
    puts the whole context (by ``repr``) into its DEBUG record for a variable it cannot
    resolve, and the password must not reach a log that way."""

    def __repr__(self) -> str:
        return "'********'"


#: Messages that differ from another only in their subject.
SHARED_BODY = {Notification.Kind.PASSWORD_RESET_EMAIL: Notification.Kind.PASSWORD_EMAIL}


@dataclass
class Rendered:
    subject: str
    text: str
    html: str = ""


def render(notification: Notification, *, password: str = "") -> Rendered:
    """The message in the row's language. ``password`` only for password messages."""
    context = {
        **notification.context,
        "password": Secret(password),
        "keeps_current_password": notification.keeps_current_password,
        # A password from "Passwort vergessen" reaches the phones only with its first login.
        "sip_connected": is_connected(),
        "portal_url": settings.PORTAL_BASE_URL,
        "myportal_url": settings.PORTAL_BASE_URL + "/myportal/",
    }
    base = f"notifications/{notification.kind}"
    with translation.override(notification.language):
        if notification.channel == Notification.Channel.SMS:
            text = render_to_string(f"{base}.sms.txt", context).strip()
            return Rendered(subject="", text=" ".join(text.split()))
        subject = " ".join(render_to_string(f"{base}.subject.txt", context).split())
        context["subject"] = subject
        body = f"notifications/{SHARED_BODY.get(notification.kind, notification.kind)}"
        return Rendered(
            subject=subject,
            text=render_to_string(f"{body}.txt", context).strip() + "\n",
            html=render_to_string(f"{body}.html", context),
        )
