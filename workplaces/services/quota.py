"""The quota rule, in one place: how many workplaces a trunk still has room for.

A place of a trunk's ``workplace_quota`` is held by every workplace that is not deleted and by
every setup draft in any admin's cart. The pages show what is left; putting a draft into the
cart takes a place (refused when none is left); ordering checks, with the trunk rows locked,
that the places taken do not exceed the quota. So two admins racing for the last place cannot
both get it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from portal import policy
from portal.models import Customer
from portal.policy import Actor
from trunks.models import SipTrunk
from workplaces.models import SetupDraft, Workplace


def _count(queryset: QuerySet) -> Coalesce:
    # COUNT(*), not COUNT(id): the trunk's (trunk, status) and (trunk, number) indexes answer
    # it alone (an index-only scan); the id is in neither, so counting it read every row.
    counted = queryset.order_by().values("trunk").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_places(trunks: QuerySet[SipTrunk]) -> QuerySet[SipTrunk]:
    """``trunks`` annotated with the places taken, all :func:`places_left` needs (one query)."""
    workplaces = Workplace.objects.filter(trunk=OuterRef("pk"), status__in=Workplace.HOLDS_QUOTA)
    in_carts = SetupDraft.objects.filter(trunk=OuterRef("pk"), status=SetupDraft.Status.IN_CART)
    return trunks.annotate(workplaces_used=_count(workplaces), in_carts=_count(in_carts))


def with_usage(trunks: QuerySet[SipTrunk]) -> QuerySet[SipTrunk]:
    """``trunks`` annotated with the places taken and the number counts (one query).

    The numbers are the stored count, not counted; the assigned ones are counted from the
    workplaces that hold one (a workplace's number is of its trunk), on an index of their
    own: joining the numbers read thousands of their rows."""
    assigned = Workplace.objects.filter(trunk=OuterRef("pk"), number__isnull=False)
    return with_places(trunks).annotate(
        numbers_total=F("numbers_count"), numbers_assigned=_count(assigned)
    )


def places_left(trunk: SipTrunk) -> int:
    """Places of the quota not held by a workplace or a draft in a cart (may be negative)."""
    return trunk.workplace_quota - trunk.workplaces_used - trunk.in_carts


def _percent(part: int, whole: int) -> int:
    return min(100, round(100 * part / whole)) if whole else 0


def trunk_overview(customer: Customer, *, actor: Actor | None = None) -> list[SipTrunk]:
    """The customer's trunks for the pages (those the actor may see), each with
    ``quota_left`` and the bars' percentages."""
    trunks = SipTrunk.objects.filter(customer=customer)
    if actor is not None:
        trunks = policy.visible(actor, trunks)
    trunks = list(with_usage(trunks))
    for trunk in trunks:
        trunk.quota_left = max(places_left(trunk), 0)
        trunk.quota_percent = _percent(trunk.workplaces_used, trunk.workplace_quota)
        trunk.numbers_percent = _percent(trunk.numbers_assigned, trunk.numbers_total)
    return trunks


def lock_trunks(ids: Iterable[int]) -> dict[int, SipTrunk]:
    """Lock the trunk rows (in a fixed order, against deadlocks), then count their usage.

    Call inside a transaction: until it ends, nobody else can take a place of these trunks.
    """
    ids = sorted(set(ids))
    list(SipTrunk.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    return {t.pk: t for t in with_places(SipTrunk.objects.filter(pk__in=ids))}


def quota_exhausted_message(trunk: SipTrunk) -> str:
    return _(
        "Das Kontingent des SIP-Trunks %(trunk)s ist ausgeschöpft. Wenden Sie sich an den "
        "Kundenservice, um es zu erweitern."
    ) % {"trunk": trunk.name}
