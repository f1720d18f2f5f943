"""API keys: make one (shown once), revoke it, and find the actor a request's key acts for."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiKey
from portal import policy, ratelimit
from portal.errors import Refusal
from portal.policy import Actor

#: Every key starts with this, so that a leaked key is recognised (secret scanners, logs).
KEY_PREFIX = "stp_"
#: How many characters of a key are kept and shown, to tell keys apart.
SHOWN_PREFIX_LENGTH = 12
#: ``last_used_at`` is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
NAME_MAX_LENGTH = 100


def hash_key(raw_key: str) -> str:
    """SHA-256 of the key: a key has 256 random bits, so no salt or slow hash is needed."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def _checked_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise Refusal("required", _("Bitte geben Sie einen Namen ein."), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise Refusal(
            "max_length",
            _("Der Name darf höchstens %(max)d Zeichen lang sein.") % {"max": NAME_MAX_LENGTH},
            field="name",
            params={"max": NAME_MAX_LENGTH},
        )
    return name


def create_api_key(*, actor: Actor, name: str) -> tuple[ApiKey, str]:
    """A new key for the actor's admin; returns the row and the key, which exists only now."""
    if actor.staff or actor.customer_id is None:
        raise policy.not_found()
    policy.check_reach(actor, ApiKey)
    policy.check_changes(actor)
    name = _checked_name(name)
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        code=uuid.uuid4(),
        admin=actor.user,
        name=name,
        prefix=raw_key[:SHOWN_PREFIX_LENGTH],
        key_hash=hash_key(raw_key),
    )
    return api_key, raw_key


def revoke_api_key(*, actor: Actor, api_key: ApiKey) -> None:
    """Revoke a key of the actor's customer; a revoked key stays listed, and stays revoked."""
    policy.check_change(actor, api_key)
    with transaction.atomic():
        ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )


def authenticate(raw_key: str) -> tuple[ApiKey, Actor] | None:
    """The key and the actor a request's bearer key acts for, or None (unknown, revoked, or
    its admin no longer an active admin of a customer)."""
    if not raw_key.startswith(KEY_PREFIX):
        return None
    api_key = (
        ApiKey.objects.active().select_related("admin").filter(key_hash=hash_key(raw_key)).first()
    )
    if api_key is None or not api_key.admin.is_customer_admin:
        return None
    return api_key, Actor.for_api_key(api_key.admin, api_key.name)


def count_request(api_key: ApiKey) -> None:
    """Count one request against the key's limit per minute (raises
    :class:`portal.ratelimit.RateLimited`), and note when the key was last used: written at
    most once per :data:`LAST_USED_RESOLUTION`, so a busy key costs no write per request."""
    ratelimit.hit("api", api_key.pk, limit=settings.API_REQUESTS_PER_MINUTE, window_seconds=60)
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
