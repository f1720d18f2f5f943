"""The credentials of a workplace's user: the welcome e-mail, the password message, resets.

The password itself is made by the delivery task (notifications); nothing here contains it.
The channel is one rule: by SMS when a mobile number is stored, else by e-mail.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from notifications import services as notifications
from notifications.models import Notification, mask
from portal import audit, policy
from portal.errors import Refusal
from portal.models import User
from portal.policy import Actor
from workplaces.models import Workplace
from workplaces.services import lifecycle, phone_setup


def password_route(workplace: Workplace, *, reset: bool) -> dict:
    """Kind, channel and recipient of a password message: the one SMS-or-e-mail rule."""
    if workplace.password_by_sms:
        kind = Notification.Kind.PASSWORD_RESET_SMS if reset else Notification.Kind.PASSWORD_SMS
        return {"kind": kind, "channel": Notification.Channel.SMS, "recipient": workplace.mobile}
    kind = Notification.Kind.PASSWORD_RESET_EMAIL if reset else Notification.Kind.PASSWORD_EMAIL
    return {"kind": kind, "channel": Notification.Channel.EMAIL, "recipient": workplace.auth_email}


def queue_credentials(*, workplace: Workplace, order_id: int | None = None) -> None:
    """Welcome e-mail (username, how the password travels) and the password message.

    The password itself is made by the delivery task; nothing here contains it.
    """
    for row in _credential_messages(workplace, order_id):
        notifications.queue(**row)


def credential_messages_many(*, workplaces: list[Workplace], order_id: int | None) -> list[dict]:
    """:func:`queue_credentials`'s rows for many workplaces, as
    :func:`notifications.services.queue_many` takes them: the caller writes them in one
    insert, with its own (a whole company's order, with its Auftragsinformation)."""
    return [row for w in workplaces for row in _credential_messages(w, order_id)]


def _credential_messages(workplace: Workplace, order_id: int | None) -> list[dict]:
    by_sms = workplace.password_by_sms
    person = {"first_name": workplace.first_name, "last_name": workplace.last_name}
    welcome = {
        "kind": Notification.Kind.WELCOME,
        "channel": Notification.Channel.EMAIL,
        "recipient": workplace.auth_email,
        "workplace_id": workplace.pk,
        "order_id": order_id,
        "context": {
            **person,
            "username": workplace.username,
            "number": workplace.number.national if workplace.number_id else "",
            "by_sms": by_sms,
            "masked_mobile": mask(workplace.mobile) if by_sms else "",
        },
    }
    password = {
        **password_route(workplace, reset=False),
        "workplace_id": workplace.pk,
        "order_id": order_id,
        "user_id": workplace.user_id,
        "context": {**person, "username": workplace.username},
    }
    return [welcome, password]


@transaction.atomic
def reset_password(
    *,
    workplace: Workplace,
    actor: Actor | None,
    remote_addr: str | None = None,
    language: str = "de",
    keeps_current_password: bool = False,
) -> None:
    """Send a new temporary password on the user's channel (SMS with a mobile number, else
    e-mail); the delivery task makes it.

    By an admin, the current password (and a pending one) stops now; until the message
    arrives the login does not work. From "Passwort vergessen" (``keeps_current_password``)
    nothing changes here: the current password works until the new one is first used.

    Only while the workplace is in service (a scheduled cancellation not yet carried out
    included) and has a login; else raises :class:`~portal.errors.Refusal`.
    """
    locked = (
        Workplace.objects.select_for_update(of=("self",))
        .select_related("trunk")
        .get(pk=workplace.pk)
    )
    if actor is not None:  # None: the user's own "Passwort vergessen", not logged in
        policy.check_change(actor, locked)
    refusal = lifecycle.not_in_service_refusal(locked)
    if refusal:
        raise refusal
    if not locked.user_id:
        raise Refusal(
            "no_login",
            _("Der Arbeitsplatz %(username)s hat noch keine Anmeldung.")
            % {"username": locked.username},
            params={"username": locked.username},
        )
    user = get_user_model().objects.select_for_update().get(pk=workplace.user_id)
    if not keeps_current_password:
        user.set_unusable_password()
        user.must_change_password = True
        user.clear_pending_password()
        user.save(update_fields=["password", "must_change_password", *User.PENDING_PASSWORD_FIELDS])
        phone_setup.password_changed(user_id=user.pk)
    notifications.queue(
        **password_route(workplace, reset=True),
        workplace_id=workplace.pk,
        user_id=user.pk,
        language=language,
        keeps_current_password=keeps_current_password,
        context={
            "first_name": workplace.first_name,
            "last_name": workplace.last_name,
            "username": workplace.username,
        },
    )
    audit.record(
        customer_id=workplace.trunk.customer_id,
        trunk_id=workplace.trunk_id,
        actor=actor,
        remote_addr=remote_addr,
        action="password_reset",
        object_type="workplace",
        object_code=workplace.code,
        params={"username": workplace.username, "forgotten": keeps_current_password},
    )
