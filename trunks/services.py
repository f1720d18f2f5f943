"""Domain operations on trunks and their numbers."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

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
