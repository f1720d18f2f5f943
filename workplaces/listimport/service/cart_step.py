"""The cart step ("In den Warenkorb"): the checked fault-free rows into the admin's cart, each
with the composite setup command in its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db import transaction

from portal import metrics
from portal.errors import Refusal
from portal.models import User
from portal.policy import Actor
from trunks.models import SipTrunk
from workplaces.listimport.service.people import People
from workplaces.models import ImportRun, SetupDraft
from workplaces.services import setup

#: Which rows the cart step takes.
ONLY_OK = "ok"
ALL = "all"
MODES = (ONLY_OK, ALL)

#: How often a task writes its progress (rows).
CART_PROGRESS_EVERY = 25


def _add_row(
    *, actor: Actor, trunk: SipTrunk, values: dict, book, run: ImportRun | None = None
) -> None:
    """One checked row into the cart with the composite setup command; all or nothing."""
    with transaction.atomic():
        draft = setup.put_in_cart(
            actor=actor,
            trunk=trunk,
            person=values["user_data"],
            contacts=values["contacts"],
            username=values["username"],
            number=values["number"],
            package=values["package"],
            book=book,
        )
        if run is not None:
            SetupDraft.objects.filter(pk=draft.pk).update(import_run=run)


def add_rows_to_cart(
    *,
    admin: User,
    trunk: SipTrunk,
    rows: Sequence[dict],
    progress: Callable[[int], None] | None = None,
    run: ImportRun | None = None,
) -> dict:
    """ "In den Warenkorb": the checked fault-free rows become drafts in the admin's cart.

    ``rows`` are the check's rows with values. Each row is its own transaction: a row that
    a rule now stops (username or number taken since the check, quota used up) is reported
    with the service's message, the others go on. A row whose person is in a cart or set up
    by now is reported as such and not added, unless ``run`` put it there: an earlier attempt
    of this run whose worker died, so the row counts as added.
    """
    mine = set()
    if run is not None:
        mine = set(SetupDraft.objects.filter(import_run=run).values_list("username", flat=True))
    people = People.of(trunk)
    book = setup.NumberBook.of(trunk)
    actor = Actor.for_admin(admin)
    added, report = 0, []
    for index, row in enumerate(rows, start=1):
        values = row["values"]
        found = people.find(values["key"]) if values.get("key") else None
        if values["username"] in mine:
            added += 1
        elif found is not None:
            skip, admin_id, by = found
            report.append(
                {"line": row["line"], "skip": skip, "skip_admin": admin_id, "skip_by": by}
            )
        else:
            try:
                _add_row(actor=actor, trunk=trunk, values=values, book=book, run=run)
            except Refusal as error:
                errors = [[name, m] for name, ms in error.errors.items() for m in ms]
                report.append({"line": row["line"], "errors": errors})
            else:
                added += 1
        if progress is not None and index % CART_PROGRESS_EVERY == 0:
            progress(index)
    metrics.IMPORT_ROWS.labels("carted").inc(added)
    metrics.IMPORT_ROWS.labels("refused").inc(sum(1 for r in report if "errors" in r))
    return {"added": added, "rows": report}
