"""Login throttling: django-axes' database handler with a second, slower lock per username.

axes counts failures for each entry of ``AXES_LOCKOUT_PARAMETERS`` but compares them all with
one ``AXES_FAILURE_LIMIT``. We need two limits: a few failures of one username from one
address lock only that pair (so an attacker elsewhere cannot lock the real user out), and
several times as many failures of that username from any addresses together lock the
username itself (so a botnet cannot go on guessing one account's password).

Neither lock holds for a browser that has logged in as that user before: a successful login
leaves a signed device cookie (OWASP's "device cookies" against lockout abuse), and a try that
presents a valid one for its username is judged only by that device's own failures. So
guessing from elsewhere, even from the user's own network, cannot lock the real user out.
"""

from __future__ import annotations

import hashlib
import secrets

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponseBase

#: Values of ``request.login_lock``: what the lock covers, for the message that explains it.
LOCKED_FROM_ADDRESS = "address"
LOCKED_EVERYWHERE = "username"
LOCKED_ON_DEVICE = "device"

_DEVICE_SALT = "portal.throttling.device"


def new_device_cookie(username: str) -> str:
    """A device cookie's value: the username and a random id of this browser, signed."""
    return signing.dumps({"u": username, "n": secrets.token_urlsafe(18)}, salt=_DEVICE_SALT)


def trusted_device(request: HttpRequest, username: str | None) -> str | None:
    """The device id from a valid, unexpired device cookie issued for ``username``, or None.

    A cookie for another username, an altered one and an expired one all count as none.
    """
    value = request.COOKIES.get(settings.LOGIN_DEVICE_COOKIE_NAME)
    if not value or not username:
        return None
    try:
        data = signing.loads(
            value, salt=_DEVICE_SALT, max_age=settings.LOGIN_DEVICE_COOKIE_AGE.total_seconds()
        )
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != username or not data.get("n"):
        return None
    return str(data["n"])


def _device_key(device: str) -> str:
    return "login:device:" + hashlib.sha256(device.encode()).hexdigest()


def set_device_cookie(request: HttpRequest, response: HttpResponseBase) -> None:
    """Put the device cookie of this request's successful login onto its response."""
    value = getattr(request, "new_device_cookie", None)
    if value:
        response.set_cookie(
            settings.LOGIN_DEVICE_COOKIE_NAME,
            value,
            max_age=int(settings.LOGIN_DEVICE_COOKIE_AGE.total_seconds()),
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )


def client_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The username as django-axes finds it, cut to the length of its records' column.

    Scanners send longer ones; on PostgreSQL the failed login's record was then refused and
    the login answered 500 (jazzband/django-axes#1381).
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", request.POST).get(field)
    if not isinstance(username, str):
        return username
    return username[: AccessAttempt._meta.get_field("username").max_length]


def _total(attempts: QuerySet[AccessAttempt]) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LoginThrottlingHandler(AxesDatabaseHandler):
    """``AXES_FAILURE_LIMIT`` per username and address, ``LOGIN_FAILURES_PER_USERNAME`` per
    username from all addresses, both within ``AXES_COOLOFF_TIME``.

    The database is the store: every web process sees the same counts, updated under a row
    lock, and they outlive a restart of the cache.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """The failures that axes compares with ``AXES_FAILURE_LIMIT``, the pair's limit.

        Once the username's failures from all addresses reach their own limit, the pair
        counts as having reached its limit too. Sets ``request.login_lock`` to what a lock
        now covers, or None.
        """
        username = get_client_username(request, credentials)
        device = trusted_device(request, username)
        limit = get_failure_limit(request, credentials)
        if device is not None:
            # A browser this user has logged in with: its own failures only.
            on_device = cache.get(_device_key(device), 0)
            request.login_lock = LOCKED_ON_DEVICE if on_device >= limit else None
            return on_device
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        from_address = _total(recent.filter(username=username, ip_address=request.axes_ip_address))
        # Without a username there is no account to protect; do not lump such tries together.
        everywhere = _total(recent.filter(username=username)) if username else 0
        if everywhere >= settings.LOGIN_FAILURES_PER_USERNAME:
            request.login_lock = LOCKED_EVERYWHERE
            return max(from_address, limit)
        request.login_lock = LOCKED_FROM_ADDRESS if from_address >= limit else None
        return from_address

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        """A failure with a device cookie counts against that device (and is recorded as
        any other, for the address and the username)."""
        if request is not None and not getattr(request, "axes_locked_out", False):
            device = trusted_device(request, get_client_username(request, credentials))
            if device is not None:
                key = _device_key(device)
                cache.add(key, 0, timeout=settings.AXES_COOLOFF_TIME.total_seconds())
                try:
                    cache.incr(key)
                except ValueError:  # the cool-off ended between add and incr
                    cache.set(key, 1, timeout=settings.AXES_COOLOFF_TIME.total_seconds())
        super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs) -> None:
        """Also gives the browser a device cookie for this username (set on the response by
        ``portal.middleware.DeviceCookieMiddleware``) and clears its device's failures."""
        super().user_logged_in(sender, request, user, **kwargs)
        device = trusted_device(request, user.get_username())
        if device is not None:
            cache.delete(_device_key(device))
        request.new_device_cookie = new_device_cookie(user.get_username())

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """A successful login clears the failures of that username from that address only.

        It proves the password to this address; the other addresses' failures still count
        against the username's own limit.
        """
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count
