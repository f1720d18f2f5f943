"""Password login: Django's model backend, plus the temporary passwords' rules.

- "Passwort vergessen" leaves the current password working and stores the new temporary one
  as ``pending_password``; its first successful use makes it the password (the old one stops)
  and forces "Passwort ändern".
- A temporary password older than ``TEMP_PASSWORD_DAYS`` no longer logs in; the request is
  flagged (``request.temporary_password_expired``) so the login page can say so.
- The SIP registrar gets a pending password when it becomes the password, not before: so
  asking for a new password cannot stop anybody's phones. When the registrar cannot take it
  then, the login is refused (flagged ``request.registrar_unavailable``) and nothing
  changes; the current password keeps working.

It lives here, not in ``portal``, because promoting a password writes the registrar. Admins
log in through it too (settings name it by its path). A refused login returns None, so
django-axes counts it as a failure like any other.
"""

from __future__ import annotations

import logging

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.http import HttpRequest

from portal import usercache
from portal.hashers import even_out
from portal.models import User
from provisioning import services as provisioning
from provisioning.backends import RegistrarError, RegistrarUnavailable
from workplaces.models import Workplace
from workplaces.services import phone_setup

log = logging.getLogger(__name__)


class PasswordBackend(ModelBackend):
    def get_user(self, user_id) -> User | None:
        """The session's user with its customer in the same query (or from the cache next
        to the session, see :mod:`portal.usercache`): every page shows it."""
        user = usercache.load(user_id)
        if user is None:
            return None
        return user if self.user_can_authenticate(user) else None

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs,
    ) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            # Hash twice, as a known user's failed login does (current and pending password),
            # so the time taken does not tell whether the username exists.
            make_password(password)
            make_password(password)
            return None
        if user.check_password(password):
            if not self.user_can_authenticate(user):
                return None
            if user.temporary_password_expired:
                return _expired(request)
            return user
        # A refused temporary password (cheap to check) costs a default hash all the same,
        # so the time taken does not tell whether the password is temporary.
        even_out(password, user.password)
        # Without a pending password this still hashes once (Django's own fake run), so the
        # time taken does not tell whether a reset is pending.
        if not check_password(password, user.pending_password):
            even_out(password, user.pending_password)
            return None
        if not self.user_can_authenticate(user):
            return None
        if user.pending_password_expired:
            return _expired(request)
        try:
            return _use_pending(user, password)
        except (RegistrarUnavailable, RegistrarError) as exc:
            log.warning("login: pending password of user %s not used: %s", user.pk, exc)
            if request is not None:
                request.registrar_unavailable = True
            return None


def _expired(request: HttpRequest | None) -> None:
    if request is not None:
        request.temporary_password_expired = True
    return None


def _use_pending(user: User, password: str) -> User | None:
    """Make the pending password the password: on the registrar first, under the user's lock
    (as every other password change), then here. Raises when the registrar cannot take it."""
    with transaction.atomic():
        locked = User._default_manager.select_for_update().get(pk=user.pk)
        if locked.pending_password != user.pending_password:
            # A login at the same moment used it already, or a newer request replaced it.
            return locked if locked.password == user.pending_password else None
        if Workplace.objects.filter(user=locked, status__in=Workplace.LOGIN_ALLOWED).exists():
            provisioning.set_password(username=locked.username, password=password)
        locked.use_pending_password()
        locked.save(update_fields=User.TEMPORARY_PASSWORD_FIELDS)
        phone_setup.password_changed(user_id=locked.pk)
    return locked
