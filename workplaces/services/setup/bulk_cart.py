"""The composite command for many workplaces at once (a whole company's list): each entry is
checked as :func:`~.cart.put_in_cart` checks it, then all that pass are reserved and put into
the cart together, with a constant number of queries however many they are.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from django.db import IntegrityError, transaction

from catalog.models import Package
from portal import policy
from portal.errors import Refusal
from portal.models import UsernameClaim
from portal.policy import Actor
from trunks.models import Number, SipTrunk
from workplaces.models import ImportRun, SetupDraft
from workplaces.services import Checked, quota
from workplaces.services.setup.cart import _quota_problem, check_entry, new_draft, put_in_cart
from workplaces.services.setup.numbers import NumberBook, _number_taken
from workplaces.services.setup.usernames import (
    UsernameLookup,
    _username_taken,
    taken_usernames,
    username_candidates,
)

#: Suggestions looked up ahead for an entry without a username.
SUGGESTIONS = 5


def put_many_in_cart(
    *,
    actor: Actor,
    trunk: SipTrunk,
    entries: Sequence[Mapping],
    book: NumberBook,
    import_run: ImportRun | None = None,
) -> list[SetupDraft | Refusal]:
    """:func:`~.cart.put_in_cart` for each of ``entries`` (dicts of its keyword arguments
    ``person``, ``contacts``, ``username``, ``number``, ``package``), in one transaction: per
    entry its draft or the refusal :func:`~.cart.put_in_cart` would have raised, as if they
    had been put into the cart one after another. ``book``: the trunk's, read for the batch.

    Reserving re-checks under lock (the trunk's quota, the numbers' rows, the names' claims),
    so what another admin took since the book was read is refused. Should a name be claimed
    in between those checks and the insert, the batch goes one entry at a time instead.
    """
    policy.check_change(actor, trunk)
    lookup = UsernameLookup(_names_asked(entries))
    packages: dict[str, Package | None] = {}
    used_numbers: set[str] = set()
    free = _free_numbers(book, used_numbers)
    results: list[SetupDraft | Refusal] = []
    wanted: list[tuple[int, dict, Number, Package | None]] = []
    used_names: set[str] = set()
    for index, entry in enumerate(entries):
        checked, values, number, package = check_entry(
            trunk=trunk,
            person=entry["person"],
            contacts=entry["contacts"],
            username=entry.get("username"),
            number=entry.get("number"),
            package=entry.get("package"),
            book=book,
            taken=lookup,
            packages=packages,
            free_number=lambda: next(free, None),
        )
        name = str(values.get("username") or "").lower()
        refusal = _refusal(checked)
        if refusal is None and name in used_names:
            refusal = _username_taken(values["username"])
        if refusal is None and number.e164 in used_numbers:
            refusal = _number_taken(number)
        if refusal is not None:
            results.append(refusal)
            continue
        used_names.add(name)
        used_numbers.add(number.e164)
        results.append(None)  # type: ignore[arg-type] - set below
        wanted.append((index, values, number, package))
    try:
        with transaction.atomic():
            _reserve(actor, trunk, wanted, results, import_run)
    except IntegrityError:  # a name claimed meanwhile: one by one, each with its own answer
        for index, _values, _number, _package in wanted:
            results[index] = _one_by_one(actor, trunk, entries[index], book, import_run)
    return results


def _names_asked(entries: Sequence[Mapping]) -> list[str]:
    names = []
    for entry in entries:
        if entry.get("username") is not None:
            names.append(str(entry["username"]))
        else:
            person = entry["person"]
            names += username_candidates(
                first_name=str(person.get("first_name") or ""),
                last_name=str(person.get("last_name") or ""),
                count=SUGGESTIONS,
            )
    return names


def _free_numbers(book: NumberBook, used: set[str]) -> Iterator[Number]:
    """The book's free numbers in order, skipping those the batch has used meanwhile."""
    for e164 in sorted(book.numbers):
        if e164 not in book.held and e164 not in used:
            yield book.number(e164)


def _refusal(checked: Checked) -> Refusal | None:
    try:
        checked.raise_if_errors()
    except Refusal as refusal:
        return refusal
    return None


def _reserve(actor, trunk, wanted, results, import_run) -> None:
    """Under the trunk's and the numbers' locks: the drafts and their claims, or refusals."""
    locked_trunk = quota.lock_trunks([trunk.pk])[trunk.pk]
    left = quota.places_left(locked_trunk)
    numbers = sorted(number.pk for _i, _v, number, _p in wanted)
    list(Number.objects.select_for_update().filter(pk__in=numbers).order_by("pk"))
    held = set(Number.objects.filter(pk__in=numbers).held().values_list("pk", flat=True))
    taken = taken_usernames(values["username"] for _i, values, _n, _p in wanted)
    drafts = []
    for index, values, number, package in wanted:
        if number.pk in held:
            results[index] = _number_taken(number)
        elif values["username"].lower() in taken:
            results[index] = _username_taken(values["username"])
        elif left < 1:
            refused = Checked()
            _quota_problem(refused, trunk)
            results[index] = _refusal(refused)
        else:
            left -= 1
            draft = new_draft(actor, trunk, values, number, package, import_run)
            draft._claimed_username = draft.username
            drafts.append(draft)
            results[index] = draft
    # Saved one by one, each draft would claim its name (SetupDraft.save): here all at once.
    SetupDraft.objects.bulk_create(drafts)
    UsernameClaim.objects.bulk_create(
        UsernameClaim(name=draft.username, draft_id=draft.pk) for draft in drafts
    )


def _one_by_one(actor, trunk, entry, book, import_run) -> SetupDraft | Refusal:
    try:
        with transaction.atomic():
            draft = put_in_cart(actor=actor, trunk=trunk, book=book, **entry)
            if import_run is not None:
                SetupDraft.objects.filter(pk=draft.pk).update(import_run=import_run)
    except Refusal as refusal:
        return refusal
    return draft
