"""The cart step ("In den Warenkorb"): the checked fault-free rows into the admin's cart with
the composite setup command for many (:func:`setup.put_many_in_cart`), a chunk of rows at a
time, each chunk in its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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

#: Rows put into the cart together (one transaction, a few queries), and how often a task
#: writes its progress.
CART_CHUNK = 250


def _entry(values: dict) -> dict:
    """A checked row's values as :func:`setup.put_many_in_cart` takes an entry."""
    return {
        "person": values["user_data"],
        "contacts": values["contacts"],
        "username": values["username"],
        "number": values["number"],
        "package": values["package"],
    }


def add_rows_to_cart(
    *,
    admin: User,
    trunk: SipTrunk,
    rows: Sequence[dict],
    progress: Callable[[int], None] | None = None,
    run: ImportRun | None = None,
) -> dict:
    """ "In den Warenkorb": the checked fault-free rows become drafts in the admin's cart.

    ``rows`` are the check's rows with values, put into the cart :data:`CART_CHUNK` at a time,
    each chunk in its own transaction, as if row after row: a row that a rule now stops (username or number taken since the check, quota used up) is reported
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
    for start in range(0, len(rows), CART_CHUNK):
        chunk = rows[start : start + CART_CHUNK]
        entries, lines = [], []
        for row in chunk:
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
                entries.append(_entry(values))
                lines.append(row["line"])
        results = setup.put_many_in_cart(
            actor=actor, trunk=trunk, entries=entries, book=book, import_run=run
        )
        for line, result in zip(lines, results, strict=True):
            if isinstance(result, Refusal):
                errors = [[name, m] for name, ms in result.errors.items() for m in ms]
                report.append({"line": line, "errors": errors})
            else:
                added += 1
        if progress is not None:
            progress(start + len(chunk))
    metrics.IMPORT_ROWS.labels("carted").inc(added)
    metrics.IMPORT_ROWS.labels("refused").inc(sum(1 for r in report if "errors" in r))
    return {"added": added, "rows": report}
