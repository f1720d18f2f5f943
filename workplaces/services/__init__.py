"""The workplaces' domain services, one module a concern.

- :mod:`.setup`: the setup service every front door calls (wizard, list import, API): checks
  user data, usernames and numbers, reserves them on a draft, chooses the package, fills the cart.
- :mod:`.quota`: the quota rule of a trunk.
- :mod:`.lifecycle`: what happens to a workplace after ordering: activation, edit, package
  change, deletion, with the minimum-term rules.
- :mod:`.credentials`: the welcome and password messages and the password reset.
- :mod:`.holders`: who holds which number.

They raise one error type, :class:`portal.errors.Refusal`, whose problems carry a code and are
keyed by field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from portal.errors import GENERAL, Problem, Refusal, messages_by_field, problems_of

__all__ = ["GENERAL", "Checked"]


@dataclass
class Checked:
    """What a check made of the input: the domain values, and the problems keyed by field."""

    values: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def errors(self) -> dict[str, list[str]]:
        """The messages keyed by field, in order."""
        return messages_by_field(self.problems)

    def add(self, field_name: str, message: object, *, code: str, params=None) -> None:
        self.problems.append(
            Problem(code=code, message=str(message), field=field_name, params=params or {})
        )

    def add_error(self, field_name: str, error: ValidationError) -> None:
        """Every message of a validator's error, each with its code."""
        self.problems.extend(problems_of(error, field=field_name))

    def discard(self, field_name: str) -> None:
        """Drop the problems of ``field_name`` (another field's message says it already)."""
        self.problems = [p for p in self.problems if p.field != field_name]

    def replace(self, field_name: str, message: object, *, code: str, params=None) -> None:
        """The one problem of ``field_name`` from now on."""
        self.discard(field_name)
        self.add(field_name, message, code=code, params=params)

    def merge(self, other: Checked) -> Checked:
        self.values.update(other.values)
        self.problems.extend(other.problems)
        return self

    def raise_if_errors(self) -> Mapping:
        if self.problems:
            raise Refusal(problems=self.problems)
        return self.values
