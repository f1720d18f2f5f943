"""Login throttling: django-axes' database handler with a second, slower lock per username.

axes counts failures for each entry of ``AXES_LOCKOUT_PARAMETERS`` but compares them all with
one ``AXES_FAILURE_LIMIT``. We need two limits: a few failures of one username from one
address lock only that pair (so an attacker elsewhere cannot lock the real user out), and
several times as many failures of that username from any addresses together lock the
username itself (so a botnet cannot go on guessing one account's password).
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest

#: Values of ``request.login_lock``: what the lock covers, for the message that explains it.
LOCKED_FROM_ADDRESS = "address"
LOCKED_EVERYWHERE = "username"


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
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        from_address = _total(recent.filter(username=username, ip_address=request.axes_ip_address))
        # Without a username there is no account to protect; do not lump such tries together.
        everywhere = _total(recent.filter(username=username)) if username else 0
        limit = get_failure_limit(request, credentials)
        if everywhere >= settings.LOGIN_FAILURES_PER_USERNAME:
            request.login_lock = LOCKED_EVERYWHERE
            return max(from_address, limit)
        request.login_lock = LOCKED_FROM_ADDRESS if from_address >= limit else None
        return from_address

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
