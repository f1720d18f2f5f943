"""The end of a draft: discarded, expired when idle, or ordered and turned into a pending
workplace; each gives back the username and number the draft reserved.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import UUID4
from django.utils import timezone

from portal import policy
from portal.bulk import insert_from
from portal.models import User, UsernameClaim
from portal.policy import Actor
from workplaces.models import PERSON_FIELDS, SetupDraft, Workplace


def release_draft(*, actor: Actor, draft: SetupDraft) -> None:
    """End a draft and give back its username and number ("Verwerfen", out of the cart)."""
    policy.check_change(actor, draft)
    _release(draft, SetupDraft.Status.DISCARDED)


def _release(draft: SetupDraft, status: str) -> None:
    draft.status = status
    draft.username = None
    draft.number = None
    draft.save(update_fields=["status", "username", "number", "updated_at"])


def expire_drafts(*, now: dt.datetime | None = None) -> int:
    """Release what idle drafts reserved. Idempotent: an expired draft is not live any more."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=settings.DRAFT_IDLE_HOURS)
    idle = SetupDraft.objects.filter(status__in=SetupDraft.LIVE, updated_at__lt=cutoff)
    with transaction.atomic():
        UsernameClaim.objects.filter(draft__in=idle).delete()
        return idle.update(status=SetupDraft.Status.EXPIRED, username=None, number=None)


def create_workplace_from(*, draft: SetupDraft, admin: User) -> Workplace:
    """Turn a checked draft into a pending workplace; the draft gives up its reservations.

    Called by ordering inside its transaction, with the number row already locked.
    """
    number, username = draft.number, draft.username
    _release(draft, SetupDraft.Status.ORDERED)
    return Workplace.objects.create(
        trunk_id=draft.trunk_id,
        username=username,
        number=number,
        package=draft.package,
        created_by=admin,
        **{name: getattr(draft, name) for name in PERSON_FIELDS},
    )


def create_workplaces_from(*, drafts: list[SetupDraft], admin: User) -> list[int]:
    """:func:`create_workplace_from` for many drafts, set-based: a constant number of queries
    and no Python object per workplace, however many (a whole company's cart). The new
    workplaces' ids, in the cart's order of the drafts (``SetupDraft.CART_ORDER``).

    The workplaces are copied from the draft rows in one ``INSERT … SELECT`` and claim their
    names in another, while the drafts give up their claims in one delete and their names
    and numbers in one update.
    """
    if not drafts:
        return []
    now = timezone.now()
    ids = [draft.pk for draft in drafts]
    workplace_ids = insert_from(
        Workplace,
        SetupDraft.objects.filter(pk__in=ids).order_by(*SetupDraft.CART_ORDER),
        code=UUID4(),
        trunk_id=F("trunk_id"),
        username=F("username"),
        number_id=F("number_id"),
        package_id=F("package_id"),
        created_by_id=admin.pk,
        created_at=now,
        **{name: F(name) for name in PERSON_FIELDS},
    )
    UsernameClaim.objects.filter(draft_id__in=ids).delete()
    SetupDraft.objects.filter(pk__in=ids).update(
        status=SetupDraft.Status.ORDERED, username=None, number=None, updated_at=now
    )
    for draft in drafts:
        draft.status, draft.username, draft.number, draft.updated_at = (
            SetupDraft.Status.ORDERED,
            None,
            None,
            now,
        )
        draft._claimed_username = None
    # Saved one by one, each workplace would claim its name (Workplace.save): here all at once.
    insert_from(
        UsernameClaim,
        Workplace.objects.filter(pk__in=workplace_ids).order_by("pk"),
        name=F("username"),
        workplace_id=F("pk"),
    )
    return workplace_ids
