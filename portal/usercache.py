"""The logged-in user, with its customer, kept in the shared cache next to the session.

Every page needs the user and its customer; with the sessions in Redis (``cached_db``) that
was the one query each request still made for itself. ``USER_CACHE_SECONDS`` is 0 (off)
without Redis: a cache in each process's memory would not hear of a change made in another.

No stale authorisation: every save or delete of a user or of a customer (through a service,
the back office or a cascade) drops the copies concerned, and so does logging out. Dropping
means counting up the user's generation, once at once and once more after the commit: a
copy is used only under the generation it was read under, so a request that read the old
row while the change was being committed cannot put it back for the next one.

Pages do not need Redis, as with the sessions: when it cannot be reached the user is read
from the database, and a change goes through with its drop logged as failed; a copy that
such a drop left behind lives at most ``USER_CACHE_SECONDS``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from portal.models import Customer, User

log = logging.getLogger(__name__)


def _keys(user_id: object) -> tuple[str, str]:
    return f"authuser:{user_id}", f"authuser-generation:{user_id}"


def enabled() -> bool:
    return settings.USER_CACHE_SECONDS > 0


def load(user_id: object) -> User | None:
    """The user with its customer (one query when not cached), or None if there is none."""
    if not enabled():
        return _query(user_id)
    entry_key, generation_key = _keys(user_id)
    try:
        found = cache.get_many([entry_key, generation_key])
    except Exception:
        log.warning("user cache unreachable, the user read from the database", exc_info=True)
        return _query(user_id)
    generation = found.get(generation_key, 0)
    entry = found.get(entry_key)
    if entry is not None and entry[0] == generation:
        return entry[1]
    user = _query(user_id)
    if user is not None:
        try:
            cache.set(entry_key, (generation, user), settings.USER_CACHE_SECONDS)
        except Exception:
            log.warning("user cache unreachable, the user not kept", exc_info=True)
    return user


def _query(user_id: object) -> User | None:
    try:
        return User._default_manager.select_related("customer").get(pk=user_id)
    except User.DoesNotExist:
        return None


def forget(*user_ids: object) -> None:
    """Drop the cached copies of these users, now and again once the transaction commits."""
    if not enabled() or not user_ids:
        return
    _next_generation(user_ids)
    transaction.on_commit(lambda: _next_generation(user_ids))


def _next_generation(user_ids: tuple[object, ...]) -> None:
    try:
        _count_up(user_ids)
    except Exception:
        log.warning("user cache unreachable, copies of users %s not dropped", user_ids)


def _count_up(user_ids: tuple[object, ...]) -> None:
    for user_id in user_ids:
        entry_key, generation_key = _keys(user_id)
        try:
            cache.incr(generation_key)
        except ValueError:  # never counted: every copy was read under generation 0
            if not cache.add(generation_key, 1, timeout=None):
                cache.incr(generation_key)
        cache.delete(entry_key)


def _user_changed(sender, instance: User, **kwargs) -> None:
    forget(instance.pk)


def _customer_changed(sender, instance: Customer, **kwargs) -> None:
    if enabled():
        forget(*User._default_manager.filter(customer=instance).values_list("pk", flat=True))


def _logged_out(sender, request, user: User | None, **kwargs) -> None:
    if user is not None:
        forget(user.pk)


def connect() -> None:
    """Drop the copies on every write path: signals reach the back office and cascades too,
    which a ``save`` of our own would not."""
    for signal in (post_save, post_delete):
        signal.connect(_user_changed, sender=User, dispatch_uid="usercache-user")
        signal.connect(_customer_changed, sender=Customer, dispatch_uid="usercache-customer")
    user_logged_out.connect(_logged_out, dispatch_uid="usercache-logout")
