"""Inviting further admins: a one-time link by e-mail (through the outbox) that expires
after ``ADMIN_INVITE_HOURS``; accepting it creates the admin with the role and trunks the
invitation names. Only the token's hash is stored; the token is only in the message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Collection

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from admins.models import AdminInvitation
from admins.services import checked_trunks
from notifications import services as notifications
from notifications.models import Notification
from portal import audit, policy
from portal.errors import Refusal, problems_of
from portal.models import AdminRole, User, UsernameClaim
from portal.policy import Actor
from trunks.models import SipTrunk

USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_admin(
    *,
    actor: Actor,
    email: str,
    role: str,
    limited: bool,
    trunks: Collection[SipTrunk] = (),
    remote_addr: str | None = None,
) -> AdminInvitation:
    """Invite ``email`` as an admin of the actor's customer (a full administrator's right)
    with a role, and all trunks or (``limited``) ``trunks``."""
    policy.check_reach(actor, User)
    policy.check_changes(actor)
    email = email.strip().lower()
    customer_id = actor.customer_id
    trunks = checked_trunks(customer_id=customer_id, limited=limited, trunks=trunks)
    if User.objects.filter(customer_id=customer_id, is_active=True, email__iexact=email).exists():
        raise Refusal(
            "email_is_admin",
            _("Mit dieser E-Mail-Adresse ist bereits ein Administrator angemeldet."),
            field="email",
        )
    with transaction.atomic():
        open_ones = AdminInvitation.objects.select_for_update().filter(
            customer_id=customer_id, email=email, accepted_at=None, revoked_at=None
        )
        if any(i.status == AdminInvitation.Status.OPEN for i in open_ones):
            raise Refusal(
                "invitation_open",
                _(
                    "An diese Adresse ist schon eine Einladung unterwegs. Sie können sie "
                    "unten erneut senden oder widerrufen."
                ),
                field="email",
            )
        invitation = AdminInvitation(
            customer_id=customer_id,
            email=email,
            role=role,
            limited_to_trunks=trunks is not None,
            invited_by=actor.user,
        )
        _send(invitation, actor)
        invitation.trunks.set(trunks or [])
        _record(invitation, actor, "admin_invited", remote_addr, with_role=True)
    return invitation


def _send(invitation: AdminInvitation, actor: Actor) -> None:
    """A new token and expiry for the invitation (saved), and the e-mail with its link."""
    token = secrets.token_urlsafe(32)
    invitation.token_hash = _hash(token)
    invitation.expires_at = timezone.now() + dt.timedelta(hours=settings.ADMIN_INVITE_HOURS)
    invitation.save()
    with translation.override("de"):
        context = {
            "customer_id": invitation.customer_id,
            "customer": invitation.customer.name,
            "inviter": actor.user.get_full_name() or actor.user.username,
            "role": str(AdminRole(invitation.role).label),
            "expires": date_format(
                timezone.localtime(invitation.expires_at), "SHORT_DATETIME_FORMAT"
            ),
            "token": token,
        }
    notifications.queue(
        kind=Notification.Kind.ADMIN_INVITATION,
        channel=Notification.Channel.EMAIL,
        recipient=invitation.email,
        context=context,
    )


def _record(invitation, actor, action, remote_addr, *, with_role=False, **params) -> None:
    params = {"email": invitation.email, **params}
    if with_role:
        names = sorted(t.name for t in invitation.trunks.all())
        params |= {
            "role": invitation.role,
            "trunks": names if invitation.limited_to_trunks else None,
        }
    audit.record(
        customer_id=invitation.customer_id,
        actor=actor,
        action=action,
        object_type="invitation",
        object_code=invitation.code,
        params=params,
        remote_addr=remote_addr,
    )


def open_invitations(actor: Actor):
    """The customer's invitations not yet accepted or revoked (expired ones can be re-sent)."""
    pending = AdminInvitation.objects.filter(accepted_at=None, revoked_at=None)
    return policy.visible(actor, pending.prefetch_related("trunks"))


def resend_invitation(
    *, actor: Actor, invitation: AdminInvitation, remote_addr: str | None = None
) -> None:
    """Send the invitation again with a new link; the old link stops working."""
    policy.check_change(actor, invitation)
    with transaction.atomic():
        invitation = AdminInvitation.objects.select_for_update().get(pk=invitation.pk)
        _check_usable(invitation, allow_expired=True)
        _send(invitation, actor)
        _record(invitation, actor, "admin_invitation_resent", remote_addr)


def revoke_invitation(
    *, actor: Actor, invitation: AdminInvitation, remote_addr: str | None = None
) -> None:
    policy.check_change(actor, invitation)
    with transaction.atomic():
        invitation = AdminInvitation.objects.select_for_update().get(pk=invitation.pk)
        _check_usable(invitation, allow_expired=True)
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        _record(invitation, actor, "admin_invitation_revoked", remote_addr)


def _check_usable(invitation: AdminInvitation, *, allow_expired: bool = False) -> None:
    status = invitation.status
    if status == AdminInvitation.Status.ACCEPTED:
        raise Refusal("invitation_used", _("Diese Einladung wurde bereits angenommen."))
    if status == AdminInvitation.Status.REVOKED:
        raise Refusal("invitation_revoked", _("Diese Einladung wurde widerrufen."))
    if status == AdminInvitation.Status.EXPIRED and not allow_expired:
        raise Refusal(
            "invitation_expired",
            _(
                "Diese Einladung ist abgelaufen. Bitten Sie den Administrator, der Sie "
                "eingeladen hat, sie erneut zu senden."
            ),
        )


def invitation_by_token(token: str) -> AdminInvitation:
    """The invitation the link names, if it can still be accepted; else a refusal that says
    why (unknown, used, revoked, expired)."""
    try:
        invitation = AdminInvitation.objects.select_related("customer").get(
            token_hash=_hash(str(token))
        )
    except AdminInvitation.DoesNotExist:
        raise Refusal(
            "invitation_unknown",
            _(
                "Diesen Einladungslink kennen wir nicht (mehr). Wurde die Einladung erneut "
                "gesendet, gilt nur der Link aus der neuesten E-Mail."
            ),
        ) from None
    _check_usable(invitation)
    return invitation


def accept_invitation(*, token: str, username: str, password: str) -> User:
    """Create the admin the invitation names, with the chosen username and password."""
    with transaction.atomic():
        invitation = invitation_by_token(token)
        invitation = AdminInvitation.objects.select_for_update().get(pk=invitation.pk)
        _check_usable(invitation)
        user = User(
            username=username,
            email=invitation.email,
            customer_id=invitation.customer_id,
            admin_role=invitation.role,
            limited_to_trunks=invitation.limited_to_trunks,
        )
        _check_credentials(user, password)
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise _taken() from None
        user.trunks.set(invitation.trunks.all())
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        _record(invitation, Actor.for_admin(user), "admin_joined", None, username=username)
    return user


def _taken() -> Refusal:
    return Refusal(
        "username_taken",
        _("Dieser Benutzername ist bereits vergeben. Bitte wählen Sie einen anderen."),
        field="username",
    )


def _check_credentials(user: User, password: str) -> None:
    problems = []
    try:
        UnicodeUsernameValidator()(user.username)
    except ValidationError as error:
        problems += problems_of(error, field="username")
    if not user.username:
        problems += [
            *Refusal(
                "required", _("Bitte geben Sie einen Benutzernamen ein."), field="username"
            ).problems
        ]
    elif UsernameClaim.objects.named(user.username).exists():
        problems += _taken().problems
    try:
        validate_password(password, user)
    except ValidationError as error:
        problems += problems_of(error, field="password")
    if problems:
        raise Refusal(problems=problems)
