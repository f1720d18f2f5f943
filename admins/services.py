"""The customer's admins: role and trunks, deactivation. Only a full administrator (every
trunk) may do this (:mod:`portal.policy`), and the customer always keeps one of them.
"""

from __future__ import annotations

from collections.abc import Collection

from django.db import transaction
from django.utils.translation import gettext as _

from orders import services as orders
from portal import audit, policy
from portal.errors import Refusal
from portal.models import AdminRole, User
from portal.policy import Actor
from trunks.models import SipTrunk
from workplaces.services import setup


def is_full_admin(user: User) -> bool:
    """An active ``Administrator`` of every trunk: manages the admins."""
    return (
        user.is_active and user.admin_role == AdminRole.ADMINISTRATOR and not user.limited_to_trunks
    )


def admins_of(actor: Actor):
    """The customer's admins the actor may manage, active first, then by name."""
    users = User.objects.filter(customer_id=actor.customer_id).prefetch_related("trunks")
    return policy.visible(actor, users).order_by("-is_active", "username")


def checked_trunks(
    *, customer_id: int, limited: bool, trunks: Collection[SipTrunk]
) -> list[SipTrunk] | None:
    """The trunks an admin is limited to (None: all); a limit needs one of the customer's."""
    if not limited:
        return None
    if any(t.customer_id != customer_id for t in trunks):
        raise policy.not_found()
    if not trunks:
        raise Refusal(
            "trunk_required",
            _("Bitte wählen Sie mindestens einen SIP-Trunk."),
            field="trunks",
        )
    return sorted(trunks, key=lambda t: t.name)


def _lock_admins(customer_id: int) -> list[User]:
    """Lock the customer's admins (in a fixed order): two full administrators demoting each
    other at once must not leave the customer without one."""
    return list(User.objects.select_for_update().filter(customer_id=customer_id).order_by("pk"))


def _keep_one_full_admin(admin: User, locked: list[User]) -> None:
    if not is_full_admin(admin):
        return
    if not any(is_full_admin(u) for u in locked if u.pk != admin.pk):
        raise Refusal(
            "last_admin",
            _(
                "%(username)s ist der letzte Administrator mit allen Rechten. Er kann nicht "
                "herabgestuft, beschränkt oder deaktiviert werden."
            )
            % {"username": admin.username},
            params={"username": admin.username},
        )


def change_admin(
    *,
    actor: Actor,
    admin: User,
    role: str,
    limited: bool,
    trunks: Collection[SipTrunk] = (),
    remote_addr=None,
) -> None:
    """Give ``admin`` a role, and all of the customer's trunks or (``limited``) ``trunks``."""
    policy.check_change(actor, admin)
    trunks = checked_trunks(customer_id=admin.customer_id, limited=limited, trunks=trunks)
    with transaction.atomic():
        locked = _lock_admins(admin.customer_id)
        admin = next(u for u in locked if u.pk == admin.pk)
        names = [t.name for t in trunks] if trunks is not None else None
        before = (admin.admin_role, admin.limited_to_trunks, _trunk_names(admin))
        if before == (role, trunks is not None, names or []):
            return
        if role != AdminRole.ADMINISTRATOR or trunks is not None:
            _keep_one_full_admin(admin, locked)
        admin.admin_role = role
        admin.limited_to_trunks = trunks is not None
        admin.save(update_fields=["admin_role", "limited_to_trunks"])
        admin.trunks.set(trunks or [])
        admin.forget_trunk_ids()
        audit.record(
            customer_id=admin.customer_id,
            actor=actor,
            action="admin_changed",
            object_type="admin",
            object_code=admin.username,
            params={"username": admin.username, "role": role, "trunks": names},
            remote_addr=remote_addr,
        )


def _trunk_names(admin: User) -> list[str]:
    return sorted(admin.trunks.values_list("name", flat=True)) if admin.limited_to_trunks else []


def deactivate_admin(*, actor: Actor, admin: User, remote_addr=None) -> None:
    """End an admin's access now: no login, no session (an inactive user has none), no cart
    (their drafts give back their usernames and numbers). Their past actions stay in the
    Protokoll under their name."""
    policy.check_change(actor, admin)
    with transaction.atomic():
        locked = _lock_admins(admin.customer_id)
        admin = next(u for u in locked if u.pk == admin.pk)
        if not admin.is_active:
            return
        _keep_one_full_admin(admin, locked)
        admin.is_active = False
        admin.save(update_fields=["is_active"])
        _discard_cart(admin)
        audit.record(
            customer_id=admin.customer_id,
            actor=actor,
            action="admin_deactivated",
            object_type="admin",
            object_code=admin.username,
            params={"username": admin.username},
            remote_addr=remote_addr,
        )


def _discard_cart(admin: User) -> None:
    """The cart is personal: it is discarded as its owner, on whatever trunks it lies (their
    limits may have changed since they filled it)."""
    owner = Actor(user=admin, customer_id=admin.customer_id, label=admin.username)
    for draft in setup.live_drafts_of(admin):
        setup.release_draft(actor=owner, draft=draft)
    for change in orders.cart_changes(admin):
        orders.remove_change(actor=owner, change=change)
