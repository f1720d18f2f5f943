"""Who is already there: the trunk's people in a cart of the customer or set up, found by
username or as "the same person" (name and authentication e-mail address).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trunks.models import SipTrunk
from workplaces.models import SetupDraft, Workplace
from workplaces.services import setup

#: Why a row was not added: already in a cart of the customer, or set up on the trunk.
IN_CART = "in_cart"
SET_UP = "set_up"


@dataclass
class People:
    """The trunk's people in a cart of the customer or set up: by username and by person."""

    #: key -> (IN_CART or SET_UP, the admin whose cart holds the draft: pk, name)
    by_username: dict[str, tuple[str, int | None, str]] = field(default_factory=dict)
    by_person: dict[tuple[str, str, str], tuple[str, int | None, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, trunk: SipTrunk) -> People:
        people = cls()
        drafts = SetupDraft.objects.filter(
            trunk=trunk, customer_id=trunk.customer_id, status=SetupDraft.Status.IN_CART
        ).values_list(
            "username",
            "first_name",
            "last_name",
            "auth_email",
            "created_by_id",
            "created_by__first_name",
            "created_by__last_name",
            "created_by__username",
        )
        for username, first, last, auth, admin, admin_first, admin_last, admin_name in drafts:
            by = f"{admin_first} {admin_last}".strip() or admin_name
            people.add(username, first, last, auth, (IN_CART, admin, by))
        workplaces = (
            Workplace.objects.filter(trunk=trunk)
            .exclude(status=Workplace.Status.DELETED)
            .values_list("username", "first_name", "last_name", "auth_email")
        )
        for username, first, last, auth in workplaces:
            people.add(username, first, last, auth, (SET_UP, None, ""))
        return people

    def add(self, username, first, last, auth, where: tuple[str, int | None, str]) -> None:
        if username:
            self.by_username.setdefault(username.lower(), where)
        self.by_person.setdefault(setup.person_key(first, last, auth), where)

    def find(self, key: list) -> tuple[str, int | None, str] | None:
        """``key``: ``["u", username]`` or ``["p", first, last, auth_email]`` (a row's key)."""
        if key[0] == "u":
            return self.by_username.get(key[1].lower())
        return self.by_person.get(setup.person_key(*key[1:]))
