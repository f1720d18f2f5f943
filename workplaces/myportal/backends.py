"""Password login: Django's model backend, plus the temporary passwords' rules.

- "Passwort vergessen" leaves the current password working and stores the new temporary one
  as ``pending_password``; its first successful use makes it the password (the old one stops)
  and forces "Passwort ändern".
- A temporary password older than ``TEMP_PASSWORD_DAYS`` no longer logs in; the request is
  flagged (``request.temporary_password_expired``) so the login page can say so.

A refused login returns None, so django-axes counts it as a failure like any other.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.http import HttpRequest

from portal.models import User


class PasswordBackend(ModelBackend):
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
        # Without a pending password this still hashes once (Django's own fake run), so the
        # time taken does not tell whether a reset is pending.
        if not check_password(password, user.pending_password):
            return None
        if not self.user_can_authenticate(user):
            return None
        if user.pending_password_expired:
            return _expired(request)
        return _use_pending(user)


def _expired(request: HttpRequest | None) -> None:
    if request is not None:
        request.temporary_password_expired = True
    return None


def _use_pending(user: User) -> User | None:
    with transaction.atomic():
        locked = User._default_manager.select_for_update().get(pk=user.pk)
        if locked.pending_password != user.pending_password:
            # A login at the same moment used it already, or a newer request replaced it.
            return locked if locked.password == user.pending_password else None
        locked.use_pending_password()
        locked.save(update_fields=User.TEMPORARY_PASSWORD_FIELDS)
    return locked
