"""Domain operations on trunks and their numbers."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from portal.models import Customer
from trunks.models import Number, NumberBlock, SipTrunk
from trunks.numbers import parse_number_query

#: Workplaces in these states hold a place of the trunk's quota.
QUOTA_STATES = ("pending", "active", "cancel_scheduled")


def _count(queryset: QuerySet) -> Coalesce:
    counted = queryset.order_by().values("trunk").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def trunks_with_usage(customer: Customer) -> QuerySet[SipTrunk]:
    """The customer's trunks with ``used`` (workplaces and cart items) and number counts."""
    from workplaces.models import SetupDraft, Workplace

    workplaces = Workplace.objects.filter(trunk=OuterRef("pk"), status__in=QUOTA_STATES)
    in_carts = SetupDraft.objects.filter(trunk=OuterRef("pk"), status=SetupDraft.Status.IN_CART)
    numbers = Number.objects.filter(trunk=OuterRef("pk"))
    assigned = numbers.filter(workplaces__isnull=False)
    return SipTrunk.objects.filter(customer=customer).annotate(
        workplaces_used=_count(workplaces),
        in_carts=_count(in_carts),
        numbers_total=_count(numbers),
        numbers_assigned=_count(assigned),
    )


def _percent(part: int, whole: int) -> int:
    return min(100, round(100 * part / whole)) if whole else 0


def trunk_overview(customer: Customer) -> list[SipTrunk]:
    trunks = list(trunks_with_usage(customer))
    for trunk in trunks:
        trunk.quota_left = max(trunk.workplace_quota - trunk.workplaces_used - trunk.in_carts, 0)
        trunk.quota_percent = _percent(trunk.workplaces_used, trunk.workplace_quota)
        trunk.numbers_percent = _percent(trunk.numbers_assigned, trunk.numbers_total)
    return trunks


def search_numbers(trunk: SipTrunk, query: str = "", *, only_free: bool = False) -> QuerySet:
    numbers = Number.objects.filter(trunk=trunk)
    parsed = parse_number_query(query)
    if parsed.prefix:
        numbers = numbers.filter(e164__startswith=parsed.prefix)
    elif parsed.contains:
        numbers = numbers.filter(e164__contains=parsed.contains)
    if only_free:
        numbers = numbers.free()
    return numbers.order_by("e164")


@dataclass(frozen=True)
class Holder:
    """Who holds a number: a workplace (assigned) or a wizard draft (reserved)."""

    reserved: bool
    name: str
    username: str = ""
    admin: str = ""


def number_holders(page: list[Number]) -> dict[int, Holder]:
    """For the numbers on one page: who holds each (two queries, whatever the page size)."""
    from workplaces.models import SetupDraft, Workplace

    ids = [n.pk for n in page]
    holders: dict[int, Holder] = {}
    assigned = Workplace.objects.filter(number_id__in=ids).values_list(
        "number_id", "first_name", "last_name", "username"
    )
    for number_id, first, last, username in assigned:
        holders[number_id] = Holder(False, f"{first} {last}".strip(), username=username)
    drafts = SetupDraft.objects.filter(number_id__in=ids).values_list(
        "number_id", "first_name", "last_name", "created_by__username"
    )
    for number_id, first, last, admin in drafts:
        holders.setdefault(number_id, Holder(True, f"{first} {last}".strip(), admin=admin))
    return holders


@transaction.atomic
def save_number_block(block: NumberBlock) -> int:
    """Save a block and create a number row for every extension the seed's rules allow.

    Returns how many numbers were added. Numbers that a changed range no longer covers are
    removed unless a workplace or draft holds them (``clean`` refuses that change).
    """
    block.full_clean()
    block.save()
    wanted = {block.base + ext: ext for ext in block.extensions()}
    existing = set(block.numbers.values_list("e164", flat=True))
    stale = existing - wanted.keys()
    if stale:
        block.numbers.filter(e164__in=stale).free().delete()
    new = [
        Number(trunk_id=block.trunk_id, block=block, e164=e164, extension=ext)
        for e164, ext in wanted.items()
        if e164 not in existing
    ]
    Number.objects.bulk_create(new, batch_size=2000)
    return len(new)


def numbers_overlapping(block: NumberBlock) -> bool:
    """Whether another block already owns any number of this block's range."""
    candidates = [block.base + ext for ext in block.extensions()]
    others = Number.objects.exclude(block_id=block.pk) if block.pk else Number.objects.all()
    for start in range(0, len(candidates), 5000):
        if others.filter(e164__in=candidates[start : start + 5000]).exists():
            return True
    return False


def held_numbers_outside(block: NumberBlock) -> int:
    """How many held numbers of a saved block a changed range would drop."""
    if not block.pk:
        return 0
    wanted = {block.base + ext for ext in block.extensions()}
    held = block.numbers.filter(Q(workplaces__isnull=False) | Q(drafts__isnull=False))
    return sum(1 for e164 in held.values_list("e164", flat=True) if e164 not in wanted)
