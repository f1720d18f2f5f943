"""The searches of the overview and the Protokoll, written for the trigram indexes (an OR of
index scans: the numbers and the actors as key lists, not joins), find exactly what the plain
joins found; on PostgreSQL the planner can serve every branch of the OR from an index."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.models import Q

from portal import audit
from portal.forms import ProtokollFilterForm
from portal.models import AuditEvent
from portal.policy import Actor
from tests import scale_data
from trunks.numbers import parse_number_query
from workplaces.models import Workplace
from workplaces.services.lifecycle.queries import workplaces_of_trunk

QUERIES = [
    "Schmidt", "schm", "MÜLLER", "ü", "anna", "mitarbeiter.0001", "ER.001", "00007",
    "030 2200007", "0302200", "+49 302 2001", "0049302200", "*2001", "2001", "*0", "20",
    "scale-admin", "Skala", "api-schlüssel", "%", "_", "a", "niemand",
]  # fmt: skip


@pytest.fixture
def scale(packages):
    scale = scale_data.create()
    scale_data.grow(scale, workplaces=300, numbers=1000, changes=1)
    some = list(Workplace.objects.filter(user__isnull=False).select_related("user")[:3])
    for workplace in some:  # events by other actors than the admin, and under a label
        audit.record(
            customer_id=scale.customer.pk, actor=workplace.user, action="two_factor_required",
            object_type="workplace", object_code=workplace.code, params={"required": True},
        )  # fmt: skip
    audit.record(
        customer_id=scale.customer.pk, actor=Actor.for_api_key(scale.admin, "API-Schlüssel 7"),
        action="two_factor_required", object_type="workplace", object_code=some[0].code, params={"required": True},
    )  # fmt: skip
    return scale


def joined_overview_search(trunk, query: str) -> list[int]:
    """The overview's search as it was: one query joining the numbers."""
    number = parse_number_query(query)
    matches = (
        Q(first_name__icontains=query) | Q(last_name__icontains=query)
        | Q(username__icontains=query)
    )  # fmt: skip
    if number.prefix:
        matches |= Q(number__e164__startswith=number.prefix)
    elif number.contains:
        matches |= Q(number__e164__contains=number.contains)
    found = Workplace.objects.filter(trunk=trunk).exclude(status=Workplace.Status.DELETED)
    return list(found.filter(matches).order_by("last_name", "first_name", "pk").values_list("pk"))


def joined_protokoll_search(events, query: str) -> list[int]:
    matches = (
        Q(search_text__icontains=query) | Q(actor__username__icontains=query)
        | Q(actor_label__icontains=query)
    )  # fmt: skip
    return list(events.filter(matches).order_by("pk").values_list("pk"))


def test_the_overview_search_finds_what_the_join_found(scale):
    wrong = {}
    for query in QUERIES:
        found = list(workplaces_of_trunk(scale.trunk, query).values_list("pk"))
        expected = joined_overview_search(scale.trunk, query)
        if found != expected:
            wrong[query] = (len(found), len(expected))
    assert not wrong
    assert len(joined_overview_search(scale.trunk, "030 2200007")) == 1  # not all empty


def test_the_protokoll_search_finds_what_the_join_found(scale):
    events = AuditEvent.objects.filter(customer=scale.customer)
    wrong, sizes = {}, {}
    for query in QUERIES:
        form = ProtokollFilterForm({"q": query})
        assert form.is_valid(), form.errors
        found = list(form.apply(events).order_by("pk").values_list("pk"))
        expected = joined_protokoll_search(events, query)
        sizes[query] = len(expected)
        if found != expected:
            wrong[query] = (len(found), len(expected))
    assert not wrong
    # Each branch of the OR matters for some query: the sentence, the actor, the label.
    worker = Workplace.objects.filter(user__isnull=False).first().username
    by_worker = AuditEvent.objects.filter(actor__username=worker, search_text="")
    assert by_worker.exists()
    assert set(by_worker.values_list("pk")) <= set(joined_protokoll_search(events, worker))
    assert 0 < sizes["api-schlüssel"] < sizes["scale-admin"]


def plan(queryset) -> str:
    """The plan of the page's count with sequential scans priced out, after ANALYZE: which
    indexes the planner can use for the search (the expressions must match exactly)."""
    with transaction.atomic(), connection.cursor() as cursor:
        # As autovacuum would after a bulk load: the rows out of the GIN pending lists.
        cursor.execute(
            "SELECT gin_clean_pending_list(indexrelid) FROM pg_index JOIN pg_class c"
            " ON c.oid = indexrelid WHERE c.relname LIKE '%%_trgm'"
        )
        cursor.execute("ANALYZE")
        cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.order_by().values("pk").explain()


@pytest.mark.postgres
def test_every_branch_of_the_searches_can_use_an_index_on_postgresql(scale):
    scale_data.grow(scale, workplaces=5000, numbers=6000, changes=1)  # where an index pays
    overview = plan(workplaces_of_trunk(scale.trunk, "030 2200007"))
    for index in ("first_name_trgm", "last_name_trgm", "username_trgm", "number_id"):
        assert index in overview, overview
    assert "Seq Scan" not in overview and "BitmapOr" in overview, overview
    contains = plan(workplaces_of_trunk(scale.trunk, "*20015"))
    assert "trunks_number_e164_trgm" in contains, contains

    form = ProtokollFilterForm({"q": "mitarbeiter.0001"})
    assert form.is_valid()
    protokoll = plan(form.apply(AuditEvent.objects.filter(customer=scale.customer)))
    for index in ("portal_audit_search_trgm", "portal_audit_label_trgm", "user_username_trgm"):
        assert index in protokoll, protokoll
    assert "Seq Scan" not in protokoll and "BitmapOr" in protokoll, protokoll


@pytest.mark.postgres
def test_a_page_of_a_search_or_package_is_sorted_from_the_matches_on_postgresql(scale):
    """Every "Schmidt" sits together in the name order; the page's keys come from the
    matches, sorted, not from walking the name index past the rows before them (at 10,000
    workplaces the walk read 5,000 rows)."""
    scale_data.grow(scale, workplaces=5000, numbers=6000, changes=1)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT gin_clean_pending_list(indexrelid) FROM pg_index JOIN pg_class c"
            " ON c.oid = indexrelid WHERE c.relname LIKE '%%_trgm'"
        )
        cursor.execute("ANALYZE")
    for rows in (
        workplaces_of_trunk(scale.trunk, "Schmidt"),
        workplaces_of_trunk(scale.trunk, package="konferenz-plus"),  # by last name here too
    ):
        keys = rows.values("pk")[:15].explain()
        assert "Sort" in keys and "workplaces_trunk_by_name" not in keys, keys
