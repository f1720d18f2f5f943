"""Reads of workplaces for the pages: the overview's list, due deletions, which codes have a
page, a workplace's events."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable

from django.db.models import CharField, F, Func, Q

from portal.models import AuditEvent
from portal.trigram import AnyOf
from trunks.models import Number, SipTrunk
from trunks.numbers import parse_number_query
from workplaces.models import Workplace


def workplaces_of_trunk(trunk: SipTrunk, query: str = "", *, status: str = "", package: str = ""):
    """The overview's rows: search by name, username or number; filter by status, package."""
    return workplaces_of_trunks([trunk], query, status=status, package=package)


def workplaces_of_trunks(
    trunks: Iterable[SipTrunk], query: str = "", *, status: str = "", package: str = ""
):
    """The overview's rows across ``trunks`` (the customer's, when it searches them all), with
    each row's trunk for the "SIP-Trunk" column; the same search and filters as on one trunk."""
    trunk_ids = [t.pk for t in trunks]
    workplaces = Workplace.objects.filter(trunk__in=trunk_ids)
    if status:
        workplaces = workplaces.filter(status=status)
    else:
        workplaces = workplaces.exclude(status=Workplace.Status.DELETED)
    if package == "none":
        workplaces = workplaces.filter(package__isnull=True)
    elif package:
        workplaces = workplaces.filter(package__code=package)
    if query:
        number = parse_number_query(query)
        matches = (
            Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(username__icontains=query)
        )
        if number.prefix or number.contains:
            numbers = Number.objects.filter(trunk__in=trunk_ids).order_by()
            if number.prefix:
                numbers = numbers.filter(e164__startswith=number.prefix)
            else:
                numbers = numbers.filter(e164__contains=number.contains)
            # Not a join: each branch of the OR is then an index scan (trigram indexes).
            matches |= Q(AnyOf(F("number_id"), numbers.values("pk")))
        workplaces = workplaces.filter(matches)
    workplaces = workplaces.select_related("number", "package", "trunk")
    if query or package:
        # A search's or a package's rows can sit together in the name order (every
        # "Schmidt"): walking the name index until a page of them is found reads the
        # thousands of rows before them. Sorted by the names as expressions (the same text
        # and collation, so the same order), the page comes from the matching rows that the
        # trigram or package indexes find, sorted.
        return workplaces.order_by(_unindexed("last_name"), _unindexed("first_name"), "pk")
    return workplaces.order_by("last_name", "first_name", "pk")


def _unindexed(field: str) -> Func:
    """``(field || '')``: sorts as the column does, but no index gives that order."""
    return Func(F(field), template="(%(expressions)s || '')", output_field=CharField())


def due_deletions(today: dt.date):
    return Workplace.objects.filter(
        status=Workplace.Status.CANCEL_SCHEDULED, cancel_on__lte=today
    ).select_related("trunk__customer")


def workplaces_with_page(customer_id: int, codes: Collection[str]) -> set[str]:
    """Which of ``codes`` name a workplace of the customer (every one has a page, a deleted
    one too; a workplace removed with its trunk has none)."""
    valid = [uuid.UUID(code) for code in codes if _is_uuid(code)]
    found = Workplace.objects.filter(trunk__customer_id=customer_id, code__in=valid)
    return {str(code) for code in found.values_list("code", flat=True)}


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def events_of(workplace: Workplace):
    return AuditEvent.objects.filter(
        customer_id=workplace.trunk.customer_id,
        object_type="workplace",
        object_code=str(workplace.code),
    ).select_related("actor")
