"""The workplaces' domain services, one module a concern.

- :mod:`.setup`: the setup service every front door calls (wizard, list import, API): checks
  user data, usernames and numbers, reserves them on a draft, chooses the package, fills the cart.
- :mod:`.quota`: the quota rule of a trunk.
- :mod:`.lifecycle`: what happens to a workplace after ordering: activation, edit, package
  change, deletion, with the minimum-term rules.
- :mod:`.credentials`: the welcome and password messages and the password reset.
- :mod:`.holders`: who holds which number.

They raise one error type, :class:`WorkplaceError`, whose messages are keyed by field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: The key of messages that concern no single field.
GENERAL = "__all__"


class WorkplaceError(Exception):
    """A rule stopped the change. ``errors`` maps field names (or GENERAL) to German messages."""

    def __init__(self, message: str = "", *, field: str = GENERAL, errors=None) -> None:
        self.errors: dict[str, list[str]] = (
            {k: list(v) for k, v in errors.items()} if errors else {field: [message]}
        )
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return next(iter(self.errors.values()))[0]


@dataclass
class Checked:
    """What a check made of the input: the domain values, and the messages keyed by field."""

    values: dict = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, field_name: str, message: str) -> None:
        self.errors.setdefault(field_name, []).append(str(message))

    def merge(self, other: Checked) -> Checked:
        self.values.update(other.values)
        for name, messages in other.errors.items():
            for message in messages:
                self.add(name, message)
        return self

    def raise_if_errors(self) -> Mapping:
        if self.errors:
            raise WorkplaceError(errors=self.errors)
        return self.values
