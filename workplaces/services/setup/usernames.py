"""Usernames, one global namespace: whether names are taken (one, or a batch at once), the
suggestion from a person's name, and the message and refusal when a name is taken.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Iterator

from django.utils.translation import gettext as _

from portal.errors import Refusal
from portal.models import UsernameClaim
from workplaces import validators
from workplaces.models import SetupDraft


def username_taken(username: str, *, draft: SetupDraft | None = None) -> bool:
    """Usernames are one global namespace: admins, staff, workplaces (even deleted ones, with
    their logins) and drafts each claim theirs (:class:`UsernameClaim`); a draft's own name is
    not taken for it."""
    claims = UsernameClaim.objects.named(username)
    if draft is not None and draft.pk:
        claims = claims.exclude(draft_id=draft.pk)
    return claims.exists()


#: Names asked for at once by :func:`taken_usernames` (keeps each query's parameters few).
BATCH_SIZE = 500


def taken_usernames(names: Iterable[str]) -> set[str]:
    """Which of ``names`` are taken, as :func:`username_taken` decides it, lowercased.

    One query per :data:`BATCH_SIZE` names, however many there are.
    """
    keys = sorted({str(name).lower() for name in names})
    taken: set[str] = set()
    for start in range(0, len(keys), BATCH_SIZE):
        found = UsernameClaim.objects.named_any(keys[start : start + BATCH_SIZE])
        taken.update(name.lower() for name in found.values_list("name", flat=True))
    return taken


class UsernameLookup:
    """Whether usernames are taken, asked for a whole batch at once (the list import's rows).

    A name the batch was asked for is answered from memory; any other name goes to the
    database. Either way the answer is :func:`username_taken`'s, at the time of asking.
    """

    def __init__(self, names: Iterable[str]) -> None:
        self._asked = {str(name).lower() for name in names}
        self._taken = taken_usernames(self._asked)

    def __contains__(self, name: object) -> bool:
        key = str(name).lower()
        if key in self._asked:
            return key in self._taken
        return username_taken(str(name))


def _username_is_taken(name: str, draft: SetupDraft | None, taken: UsernameLookup | None) -> bool:
    return name in taken if taken is not None else username_taken(name, draft=draft)


def _taken_message(username: str) -> str:
    return _(
        "Der Benutzername „%(name)s“ ist bereits vergeben. Bitte wählen Sie einen anderen."
    ) % {"name": username}


def _candidates(base: str) -> Iterator[str]:
    """``base``, then ``base2``, ``base3`` ... (cut so that each stays within the length)."""
    yield base
    counter = 2
    while True:
        suffix = str(counter)
        yield base[: validators.MAX_USERNAME_LENGTH - len(suffix)] + suffix
        counter += 1


def username_candidates(*, first_name: str, last_name: str, count: int) -> list[str]:
    """The first ``count`` names :func:`suggest_username` tries, in order (for a batch lookup)."""
    base = validators.username_suggestion(first_name, last_name)
    return list(itertools.islice(_candidates(base), count)) if base else []


def suggest_username(
    *,
    first_name: str,
    last_name: str,
    also_taken: Collection[str] = (),
    taken: UsernameLookup | None = None,
) -> str:
    """The wizard's suggestion from the name (ä→ae ...), with a number added until it is free.

    ``also_taken`` and ``taken`` as for :func:`check_username`.
    """
    base = validators.username_suggestion(first_name, last_name)
    if not base:
        return ""
    return next(
        candidate
        for candidate in _candidates(base)
        if candidate not in also_taken and not _username_is_taken(candidate, None, taken)
    )


def _username_taken(username: str) -> Refusal:
    return Refusal(
        "username_taken", _taken_message(username), field="username", params={"name": username}
    )
