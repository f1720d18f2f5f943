"""Domain operations on trunks and their numbers."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from portal.paging import KeysFirstPaginator
from trunks.models import Number, NumberBlock, SipTrunk
from trunks.numbers import parse_number_query


def search_numbers(
    trunk: SipTrunk, query: str = "", *, only_free: bool = False, own: int | None = None
) -> QuerySet:
    """The trunk's numbers matching ``query``, by number; ``only_free``: those nobody holds,
    and ``own`` (the pk of the number the asking draft holds) with them."""
    numbers = Number.objects.filter(trunk=trunk)
    parsed = parse_number_query(query)
    if parsed.prefix:
        numbers = numbers.filter(e164__startswith=parsed.prefix)
    elif parsed.contains:
        numbers = numbers.filter(e164__contains=parsed.contains)
    if only_free:
        numbers = numbers.free(including=own)
    return numbers.order_by("e164")


def numbers_paginator(
    trunk: SipTrunk,
    query: str = "",
    *,
    only_free: bool = False,
    own: int | None = None,
    per_page: int,
) -> Paginator:
    """Pages of :func:`search_numbers`, the page's numbers selected first from the
    ``(trunk, e164)`` index (a deep page skips index entries, not rows). Without a search, the count is not asked of every
    number of the trunk (100,000 rows, and for the free ones an anti-join on each) but
    taken from the stored total and, for the free ones, the numbers' holders."""
    numbers = search_numbers(trunk, query, only_free=only_free, own=own)
    paginator = KeysFirstPaginator(numbers, per_page, key="e164")
    parsed = parse_number_query(query)
    if not (parsed.prefix or parsed.contains):
        total = trunk.numbers_count
        if only_free:
            total -= _held_count(trunk) - (own is not None)  # ``own`` is held, and listed
        paginator.count = total
    return paginator


def _held_count(trunk: SipTrunk) -> int:
    """How many of the trunk's numbers a workplace or a draft holds (as ``held()``), counted
    from the holders (each holds a number of its own trunk, see ``change_trunk``) on their
    ``(trunk, number)`` index, in one query: the numbers themselves are not read."""
    workplaces, drafts = (
        Number._meta.get_field(relation).related_model.objects.filter(
            trunk=OuterRef("pk"), number__isnull=False
        )
        for relation in ("workplaces", "drafts")
    )
    # An ordered draft may still name the number its workplace holds now: counted once.
    drafts = drafts.exclude(Exists(workplaces.model.objects.filter(number=OuterRef("number"))))
    counts = [
        Coalesce(
            Subquery(
                holders.order_by().values("trunk").annotate(n=Count("number")).values("n"),
                output_field=IntegerField(),
            ),
            0,
        )
        for holders in (workplaces, drafts)
    ]
    trunks = SipTrunk.objects.filter(pk=trunk.pk).order_by()
    return trunks.values_list(counts[0] + counts[1], flat=True)[0]


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
    count_numbers(block.trunk_id)
    return len(new)


def count_numbers(trunk_id: int) -> None:
    """Store how many numbers the trunk has (``SipTrunk.numbers_count``); call after adding
    or removing numbers."""
    total = Number.objects.filter(trunk_id=trunk_id).count()
    SipTrunk.objects.filter(pk=trunk_id).update(numbers_count=total)


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
    held = block.numbers.held()
    return sum(1 for e164 in held.values_list("e164", flat=True) if e164 not in wanted)
