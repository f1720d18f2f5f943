"""Two-factor login (TOTP, django-otp): setup with a QR code, ten one-time recovery codes,
the code step after the password, and the customer's requirement.

Who must pass the second factor: an admin who has set it up, an admin of a customer that
requires it (they set it up at their next login), and provider staff outside DEBUG
(``STAFF_TWO_FACTOR``). ``User.two_factor`` says, without a query, whether a user has it.

Failed codes are throttled like failed passwords: ``AXES_FAILURE_LIMIT`` failures of a user
within ``AXES_COOLOFF_TIME`` lock the code step until that time has passed (django-otp's own
per-device delay comes on top).
"""

from __future__ import annotations

import base64

import segno
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal import audit, policy
from portal.errors import Refusal
from portal.models import Customer, User
from portal.policy import Actor

RECOVERY_CODES = 10
DEVICE_NAME = "Authenticator"
RECOVERY_NAME = "Wiederherstellungscodes"

#: What a user must do before any page: enter a code, or set the second factor up.
CODE, SETUP = "code", "setup"


def required(user: User) -> bool:
    """Whether the user must log in with a second factor."""
    if user.two_factor:
        return True
    if user.is_staff and settings.STAFF_TWO_FACTOR:
        return True
    return user.customer_id is not None and user.customer.require_two_factor


def pending_step(user, *, customer_requires: bool) -> str | None:
    """What stands between this logged-in session and the pages (None: nothing).

    ``customer_requires``: whether the customer required the second factor when the session
    logged in (a requirement set later applies from the next login on; asking the customer
    on every request would cost a query on pages that need no customer otherwise).
    """
    if not user.is_authenticated or not (user.is_staff or user.customer_id):
        return None
    if user.is_verified():
        return None
    if user.two_factor:
        return CODE
    if customer_requires or (user.is_staff and settings.STAFF_TWO_FACTOR):
        return SETUP
    return None


def setup_device(user: User) -> TOTPDevice:
    """The unconfirmed device whose key the setup page shows (the same until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth URL as an inline SVG QR code, made here (no outside service)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4)


def manual_key(device: TOTPDevice) -> str:
    """The key as an authenticator app takes it typed in: base32, in groups of four."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _normalised(code: str) -> str:
    return "".join(str(code).split()).lower()


def _failures_key(user: User) -> str:
    return f"twofactor:failures:{user.pk}"


def _check_not_locked(user: User) -> None:
    if cache.get(_failures_key(user), 0) >= settings.AXES_FAILURE_LIMIT:
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        raise Refusal(
            "two_factor_throttled",
            _(
                "Zu viele falsche Codes. Bitte warten Sie %(minutes)d Minuten und versuchen "
                "Sie es dann erneut."
            )
            % {"minutes": minutes},
            field="code",
            params={"minutes": minutes},
        )


def _failed(user: User) -> Refusal:
    key = _failures_key(user)
    timeout = int(settings.AXES_COOLOFF_TIME.total_seconds())
    cache.add(key, 0, timeout=timeout)
    try:
        cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=timeout)
    return Refusal(
        "two_factor_code",
        _("Der Code stimmt nicht. Bitte geben Sie den aktuellen Code Ihrer App ein."),
        field="code",
    )


def confirm_setup(*, user: User, code: str, remote_addr: str | None = None) -> list[str]:
    """Confirm the device with a first code; returns the new recovery codes (shown once)."""
    _check_not_locked(user)
    device = setup_device(user)
    if not device.verify_token(_normalised(code)):
        raise _failed(user)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        StaticDevice.objects.filter(user=user).delete()
        recovery = StaticDevice.objects.create(user=user, name=RECOVERY_NAME)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        recovery.token_set.bulk_create([StaticToken(device=recovery, token=c) for c in codes])
        user.two_factor = True
        user.save(update_fields=["two_factor"])
        _record(user, user, "two_factor_set_up", remote_addr)
    cache.delete(_failures_key(user))
    return codes


def verified_device(*, user: User, code: str):
    """The device (the app, or a recovery code, used up) that accepts ``code``."""
    _check_not_locked(user)
    token = _normalised(code)
    for device in [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user),
    ]:
        if device.verify_is_allowed()[0] and device.verify_token(token):
            cache.delete(_failures_key(user))
            return device
    raise _failed(user)


def confirmed_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=True)


def reset_two_factor(*, actor: Actor, admin: User, remote_addr: str | None = None) -> None:
    """Remove an admin's second factor (a lost phone): they set it up again if it is
    required, else they log in with the password alone."""
    policy.check_change(actor, admin)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=admin).delete()
        StaticDevice.objects.filter(user=admin).delete()
        admin.two_factor = False
        admin.save(update_fields=["two_factor"])
        _record(admin, actor, "two_factor_reset", remote_addr)


def set_requirement(*, actor: Actor, required: bool, remote_addr: str | None = None) -> None:
    """The customer setting "Zwei-Faktor-Anmeldung für alle Administratoren"."""
    policy.check_reach(actor, User)
    policy.check_changes(actor)
    customer = Customer.objects.get(pk=actor.customer_id)
    if customer.require_two_factor == required:
        return
    with transaction.atomic():
        customer.require_two_factor = required
        customer.save(update_fields=["require_two_factor"])
        audit.record(
            customer_id=customer.pk,
            actor=actor,
            action="two_factor_required",
            object_type="customer",
            object_code=customer.code,
            params={"required": required},
            remote_addr=remote_addr,
        )


def _record(user: User, actor, action: str, remote_addr: str | None) -> None:
    if user.customer_id is None:  # staff: the back office keeps no Protokoll of its own
        return
    audit.record(
        customer_id=user.customer_id,
        actor=actor,
        action=action,
        object_type="admin",
        object_code=user.username,
        params={"username": user.username},
        remote_addr=remote_addr,
    )
