"""A workplace becomes active once its order is processed; what the registrar should hold."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from portal import audit
from provisioning import services as provisioning
from workplaces.models import Workplace
from workplaces.services.lifecycle.events import order_param


def registrar_ref(workplace: Workplace) -> str:
    """The ``ref`` of a workplace's registrar jobs, by which pages ask for their state."""
    return f"workplace:{workplace.code}"


def registrar_expected() -> dict[str, str | None]:
    """What the registrar should hold: username -> E.164 number of every live workplace.

    ``PROVISIONING_EXPECTED`` names this for the hourly check; ``provisioning_check`` too.
    """
    return dict(
        Workplace.objects.filter(status__in=Workplace.LOGIN_ALLOWED).values_list(
            "username", "number__e164"
        )
    )


def _new_login(workplace: Workplace):
    """The workplace's login, not saved yet: no usable password until the first is sent."""
    user = get_user_model()(
        username=workplace.username,
        first_name=workplace.first_name,
        last_name=workplace.last_name,
        email=workplace.auth_email,
        must_change_password=True,
    )
    user.set_unusable_password()
    return user


@transaction.atomic
def activate_workplace(
    *, workplace: Workplace, today: dt.date | None = None, order: object | None = None
) -> bool:
    """Create the login (unusable password), book the package from today, mark active.

    The registrar gets the subscriber (without a password: that comes with the first
    temporary password) and the number's alias through its outbox, written in this
    transaction. Idempotent on the workplace's status: an active workplace is left as it is.
    """
    workplace = Workplace.objects.select_for_update().get(pk=workplace.pk)
    if workplace.status != Workplace.Status.PENDING:
        return False
    user = _new_login(workplace)
    user.save(claim_username=False)  # the workplace holds the name for its login
    workplace.user = user
    workplace.status = Workplace.Status.ACTIVE
    workplace.activated_at = timezone.now()
    if workplace.package_id:
        workplace.package_booked_on = today or timezone.localdate()
    workplace.save(update_fields=["user", "status", "activated_at", "package_booked_on"])
    provisioning.queue_ensure(
        username=workplace.username,
        e164=workplace.number.e164 if workplace.number_id else None,
        ref=registrar_ref(workplace),
    )
    audit.record(
        customer_id=workplace.trunk.customer_id,
        trunk_id=workplace.trunk_id,
        actor=workplace.created_by,
        action="workplace_created",
        object_type="workplace",
        object_code=workplace.code,
        params={
            "username": workplace.username,
            "name": workplace.full_name,
            **order_param(order),
        },
    )
    return True


@transaction.atomic
def activate_workplaces(*, workplace_ids: list[int], order: object | None = None) -> int:
    """:func:`activate_workplace` for many at once, set-based: a constant number of queries
    however many workplaces (a whole company's order); how many became active.

    The same rules: only pending workplaces (their rows locked, in a fixed order) change, so a
    re-run, or a second worker on the same order, activates none twice. The registrar jobs go
    out in batches (:func:`provisioning.queue_ensure_many`).
    """
    workplaces = list(
        Workplace.objects.select_for_update(of=("self",))
        .select_related("trunk", "number", "created_by")
        .filter(pk__in=workplace_ids, status=Workplace.Status.PENDING)
        .order_by("pk")
    )
    if not workplaces:
        return 0
    users = [_new_login(workplace) for workplace in workplaces]
    # The workplaces hold the names for their logins: no claims (save(claim_username=False)).
    get_user_model().objects.bulk_create(users)
    now, today = timezone.now(), timezone.localdate()
    for workplace, user in zip(workplaces, users, strict=True):
        workplace.user = user
        workplace.status = Workplace.Status.ACTIVE
        workplace.activated_at = now
        if workplace.package_id:
            workplace.package_booked_on = today
    Workplace.objects.bulk_update(
        workplaces, ["user", "status", "activated_at", "package_booked_on"]
    )
    provisioning.queue_ensure_many(
        [(w.username, w.number.e164 if w.number_id else None, registrar_ref(w)) for w in workplaces]
    )
    audit.record_many(
        [
            {
                "customer_id": w.trunk.customer_id,
                "trunk_id": w.trunk_id,
                "actor": w.created_by,
                "action": "workplace_created",
                "object_type": "workplace",
                "object_code": w.code,
                "params": {"username": w.username, "name": w.full_name, **order_param(order)},
            }
            for w in workplaces
        ]
    )
    return len(workplaces)
