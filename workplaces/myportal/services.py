"""MyPortal: what the user of a workplace does with their own login."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from portal.celery import enqueue
from portal.errors import Refusal
from portal.models import User
from provisioning import services as provisioning
from provisioning.backends import RegistrarError, RegistrarUnavailable
from workplaces.models import Workplace
from workplaces.services import phone_setup
from workplaces.services.credentials import reset_password

log = logging.getLogger(__name__)

#: "Passwort vergessen" counts requests in windows of one hour (the message says so).
RESET_WINDOW_SECONDS = 60 * 60


def _too_many_resets() -> Refusal:
    """The username or the address asked for too many new passwords; the message says so."""
    return Refusal(
        "too_many_resets",
        _(
            "Für diesen Benutzernamen oder von Ihrem Netzwerk aus wurden in der letzten "
            "Stunde zu viele neue Passwörter angefordert. Bitte versuchen Sie es später erneut."
        ),
    )


def workplace_of(user: User) -> Workplace | None:
    """The live workplace whose login ``user`` is; None for admins, staff, deleted workplaces."""
    if not user.is_authenticated or not user.is_active:
        return None
    return (
        Workplace.objects.select_related("trunk__customer", "number", "package")
        .filter(user=user, status__in=Workplace.LOGIN_ALLOWED)
        .first()
    )


@dataclass(frozen=True)
class Connection:
    """What a SIP client needs: server and domain, username, number; the password is the
    MyPortal password."""

    sip_domain: str
    username: str
    number: str
    #: Where clients send their requests (``SIP_PROXY``, else ``sip:<SIP_DOMAIN>``).
    proxy: str = ""


def connection_of(workplace: Workplace) -> Connection | None:
    """The client's connection data; None while no SIP server is connected."""
    if not provisioning.is_connected():
        return None
    return Connection(
        sip_domain=provisioning.sip_domain(),
        username=workplace.username,
        number=workplace.number.international if workplace.number_id else "",
        proxy=provisioning.sip_proxy(),
    )


def has_workplace(user: User) -> bool:
    """Whether ``user`` is (or was) the login of a workplace, live or not."""
    return Workplace.objects.filter(user=user).exists()


def _password_not_saved(*, for_good: bool = False) -> Refusal:
    """The SIP registrar could not take the new password; nothing changed."""
    if for_good:
        return Refusal(
            "registrar_refused",
            _(
                "Ihr neues Passwort konnte für Ihre Telefone nicht gespeichert werden. Ihr "
                "bisheriges Passwort gilt weiter. Bitte wenden Sie sich an Ihren Administrator."
            ),
        )
    return Refusal(
        "registrar_unavailable",
        _(
            "Ihr neues Passwort konnte nicht gespeichert werden, weil der Telefondienst "
            "gerade nicht erreichbar ist. Ihr bisheriges Passwort gilt weiter. Bitte versuchen "
            "Sie es in einigen Minuten erneut."
        ),
    )


@transaction.atomic
def change_password(*, user: User, password: str) -> None:
    """The user's own password replaces the temporary one, which stops working now.

    A new password still pending from "Passwort vergessen" stops too: the user has just shown
    that they know their password, and the message may have reached someone else.

    The SIP registrar gets it first (under the user's lock, as a delivered temporary password
    does), so MyPortal and the phones always share one password: when the registrar cannot
    take it, this raises :class:`~portal.errors.Refusal` and nothing changes.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    try:
        # Checked under the lock: a workplace deleted meanwhile must not come back there.
        if workplace_of(locked) is not None:
            provisioning.set_password(username=user.username, password=password)
    except RegistrarUnavailable as exc:
        log.warning("myportal: password of user %s not changed: %s", user.pk, exc)
        raise _password_not_saved() from None
    except RegistrarError as exc:
        log.error("myportal: password of user %s not changed: %s", user.pk, exc)
        raise _password_not_saved(for_good=True) from None
    user.set_password(password)
    user.own_password_set()
    user.save(update_fields=User.TEMPORARY_PASSWORD_FIELDS)
    phone_setup.password_changed(user_id=user.pk)


def _count(key: str, limit: int) -> bool:
    """Count one request under ``key``; False once more than ``limit`` fell in the window."""
    cache.add(key, 0, timeout=RESET_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, timeout=RESET_WINDOW_SECONDS)
        count = 1
    return count <= limit


def request_password_reset(*, username: str, address: str | None, language: str) -> None:
    """ "Passwort vergessen": a new temporary password on the user's channel, if there is one.

    The current password keeps working until the new one is used to log in (see
    ``workplaces.myportal.backends``), so knowing a username is not enough to lock its user out.

    Whether the username belongs to a live workplace makes no difference to the caller: no
    error, and no sooner an answer. Requests are counted per username and per address whether
    or not the username exists; over either limit this raises
    :class:`~portal.errors.Refusal` (``too_many_resets``) and sends nothing.

    With a worker (``REDIS_URL``) the request only counts and hands the username over, the
    same for every username, and :func:`send_password_reset` runs in the worker: no request
    waits. Without one the work is done in here, and every answer waits for the same floor
    (``MYPORTAL_RESET_MIN_SECONDS``).
    """
    started = time.monotonic()
    username_key = hashlib.sha256(username.encode()).hexdigest()
    allowed = [
        _count(f"myportal:reset:username:{username_key}", settings.MYPORTAL_RESETS_PER_USERNAME),
        _count(f"myportal:reset:address:{address}", settings.MYPORTAL_RESETS_PER_ADDRESS),
    ]
    if not all(allowed):
        raise _too_many_resets()
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        # A lost publish loses this one request (logged); asking again sends it.
        enqueue("workplaces.tasks.send_password_reset", username, address, language)
        return
    send_password_reset(username=username, address=address, language=language)
    # The message is even sent in here (on commit); the floor covers that too.
    remaining = started + settings.MYPORTAL_RESET_MIN_SECONDS - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)


def send_password_reset(*, username: str, address: str | None, language: str) -> None:
    """The new temporary password of :func:`request_password_reset`, if ``username`` belongs
    to a live workplace; nothing otherwise."""
    workplace = (
        Workplace.objects.select_related("trunk", "user")
        .filter(username=username, status__in=Workplace.LOGIN_ALLOWED, user__is_active=True)
        .first()
    )
    if workplace is not None:
        # Anonymous: whoever asked has not logged in; the current password keeps working.
        reset_password(
            workplace=workplace,
            actor=None,
            remote_addr=address,
            language=language,
            keeps_current_password=True,
        )
