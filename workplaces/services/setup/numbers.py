"""A trunk's numbers: whether one is held, a batch's book of them, the check of a number, the
next free ones, and the message and refusal when a number is held.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.errors import Refusal
from trunks.models import Number, SipTrunk
from trunks.parsing import TrunkNumbers, foreign_number_error
from workplaces.models import SetupDraft
from workplaces.services import Checked


def _number_taken_message(number: Number) -> str:
    return _("Die Rufnummer %(number)s ist bereits vergeben. Bitte wählen Sie eine andere.") % {
        "number": number.national
    }


def number_is_held(number: Number, *, draft: SetupDraft | None = None) -> bool:
    """Whether a workplace or a draft (other than ``draft``) holds ``number`` (one query)."""
    own = draft.pk if draft is not None and draft.pk else None
    return Number.objects.filter(pk=number.pk).held(except_draft_id=own).exists()


@dataclass(frozen=True)
class NumberBook:
    """A trunk's numbers and which of them are held, read once for checking a batch.

    It answers as :func:`number_is_held` and the trunk's number rows did when it was read
    (two queries); reserving re-checks under lock, so a number taken since then is refused.
    """

    trunk: SipTrunk
    #: e164 -> (pk, extension)
    numbers: dict[str, tuple[int, str]]
    held: frozenset[str]

    @classmethod
    def of(cls, trunk: SipTrunk) -> NumberBook:
        rows = Number.objects.filter(trunk=trunk).values_list("pk", "e164", "extension")
        numbers = {e164: (pk, extension) for pk, e164, extension in rows}
        held = Number.objects.filter(trunk=trunk).held()
        return cls(trunk, numbers, frozenset(held.values_list("e164", flat=True)))

    @cached_property
    def trunk_numbers(self) -> TrunkNumbers:
        """The same numbers for the flexible parser (:func:`trunks.parsing.parse_rufnummer`)."""
        return TrunkNumbers.from_rows((e164, ext) for e164, (_pk, ext) in self.numbers.items())

    def number(self, e164: str) -> Number | None:
        """The trunk's number row (without a query), or None when the trunk has no such number."""
        found = self.numbers.get(e164)
        if found is None:
            return None
        return Number(pk=found[0], trunk=self.trunk, e164=e164, extension=found[1])


def not_on_trunk(value: str) -> ValidationError:
    """The refusal of a number the trunk does not have, worded as the list import and the API
    word it. Only a tampered form posts something else than an E.164 string: that text is not
    repeated back (it may hold anything, a NUL byte too)."""
    if value.startswith("+") and value[1:].isascii() and value[1:].isdigit():
        return foreign_number_error(value)
    return ValidationError(
        _("Diese Rufnummer gehört nicht zu diesem SIP-Trunk."), code="number_format"
    )


def check_number(
    *,
    trunk: SipTrunk,
    e164: object,
    draft: SetupDraft | None = None,
    also_taken: Collection[str] = (),
    book: NumberBook | None = None,
) -> Checked:
    """A number of the trunk (the seed's number rules made its rows) that nobody holds.

    ``also_taken``: numbers a batch already uses; ``book``: the batch's :class:`NumberBook`
    of the trunk (None asks the database).
    """
    checked = Checked()
    value = str(e164 or "").strip()
    if not value:
        checked.add("number", _("Bitte wählen Sie eine Rufnummer aus."), code="required")
        return checked
    # Only an E.164 string can name a number row (and only such text may reach the query).
    well_formed = value.startswith("+") and value[1:].isascii() and value[1:].isdigit()
    if not well_formed:
        number, held = None, False
    elif book is not None and book.trunk.pk == trunk.pk:
        number = book.number(value)
        held = value in book.held
    else:
        number = Number.objects.filter(trunk=trunk, e164=value).first()
        held = number is not None and number_is_held(number, draft=draft)
    if number is None:
        error = not_on_trunk(value)
        checked.add("number", error.message, code=error.code, params={"number": value})
    elif value in also_taken or held:
        checked.add(
            "number",
            _number_taken_message(number),
            code="number_held",
            params={"number": number.e164},
        )
    else:
        checked.values["number"] = number
    return checked


def next_free_numbers(
    *,
    trunk: SipTrunk,
    count: int,
    also_taken: Collection[str] = (),
    book: NumberBook | None = None,
) -> list[Number]:
    """The trunk's ``count`` lowest numbers that no workplace, draft or ``also_taken`` holds.

    With a :class:`NumberBook` of the trunk no query is made.
    """
    if count < 1:
        return []
    if book is not None and book.trunk.pk == trunk.pk:
        found = []
        for e164 in sorted(book.numbers):
            if e164 not in book.held and e164 not in also_taken:
                found.append(book.number(e164))
                if len(found) == count:
                    break
        return found
    free = trunk.numbers.free().order_by("e164")
    if also_taken:
        free = free.exclude(e164__in=list(also_taken))
    return list(free[:count])


def next_free_number(*, trunk: SipTrunk, also_taken: Collection[str] = ()) -> Number | None:
    """The trunk's lowest number that no workplace, draft or ``also_taken`` holds."""
    found = next_free_numbers(trunk=trunk, count=1, also_taken=also_taken)
    return found[0] if found else None


def _number_taken(number: Number) -> Refusal:
    return Refusal(
        "number_held", _number_taken_message(number), field="number", params={"number": number.e164}
    )
