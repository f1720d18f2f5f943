"""Who holds a number of a trunk: a workplace (assigned) or a wizard draft (reserved)."""

from __future__ import annotations

from dataclasses import dataclass

from trunks.models import Number
from workplaces.models import SetupDraft, Workplace


@dataclass(frozen=True)
class Holder:
    """Who holds a number: a workplace (assigned) or a wizard draft (reserved)."""

    reserved: bool
    name: str
    username: str = ""
    admin: str = ""


def number_holders(page: list[Number]) -> dict[int, Holder]:
    """For the numbers on one page: who holds each (two queries, whatever the page size)."""
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
