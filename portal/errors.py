"""Refusals: one error type for "a rule stopped this", whichever front door asked.

A :class:`Refusal` carries one or more :class:`Problem`: a stable code (the API publishes
:data:`CODES`), the field it concerns (or :data:`GENERAL`), the German message a page shows and
the parameters the message was made from. Programming and infrastructure errors stay ordinary
exceptions; a refusal is something a person caused and can put right.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal
from uuid import UUID

from django.core.exceptions import ValidationError

#: The key of messages that concern no single field.
GENERAL = "__all__"

#: Every code a refusal or a validator may carry, by family. Stable: the API publishes them,
#: clients switch on them. Add, never rename.
CODE_FAMILIES: dict[str, tuple[str, ...]] = {
    # who may see or change what (portal.policy)
    "access": ("not_found", "forbidden"),
    # any field
    "input": ("required", "invalid", "max_length", "control_characters"),
    # Benutzerdaten (workplaces.validators)
    "person": ("name", "street", "house_number", "postcode"),
    # contacts: e-mail and mobile number
    "contacts": (
        "email_mismatch",
        "not_mobile",
        "mobile_required",
        "mobile_not_wanted",
    ),
    # usernames (workplaces.validators and the setup service)
    "username": (
        "username_short",
        "username_long",
        "username_uppercase",
        "username_umlaut",
        "username_characters",
        "username_separators",
        "username_edges",
        "username_taken",
        "username_checks_exhausted",
    ),
    # numbers and extensions (trunks.validators, the setup service, the import's parser)
    "number": (
        "number_empty",
        "number_format",
        "number_digits",
        "number_country",
        "number_length",
        "number_invalid",
        "number_held",
        "extension_digits",
        "extension_prefix",
        "extension_118",
        "unknown_extension",
        "foreign_number",
        "ambiguous_number",
    ),
    # trunks, quota, packages, drafts
    "setup": (
        "trunk_not_listed",
        "quota_exhausted",
        "package_not_listed",
        "unknown_package",
        "package_unavailable",
        "draft_incomplete",
    ),
    # what happens to a workplace after ordering
    "lifecycle": (
        "not_in_service",
        "not_active",
        "no_login",
        "minimum_term",
        "package_unchanged",
        "cancellation_scheduled",
        "not_cancellable",
        "no_cancellation",
        "already_deleted",
        "withdrawal_too_late",
        "change_pending",
        "change_in_cart",
        "workplace_inactive",
    ),
    # cart and order
    "order": ("cart_changed", "cart_empty", "quota_short", "same_person"),
    # passwords and MyPortal
    "password": (
        "too_many_resets",
        "registrar_unavailable",
        "registrar_refused",
        "locked_out",
        "not_admin",
        "not_end_user",
        "password_incorrect",
        "password_mismatch",
        "password_unchanged",
        "temporary_password_expired",
        "no_phone_setup",
    ),
    # the customer's admins: roles, invitations, two-factor login (admins, portal.twofactor)
    "admins": (
        "last_admin",
        "trunk_required",
        "invitation_unknown",
        "invitation_used",
        "invitation_expired",
        "invitation_revoked",
        "invitation_open",
        "email_is_admin",
        "two_factor_code",
        "two_factor_throttled",
    ),
    # the list import
    "import": (
        "file",
        "file_empty",
        "too_large",
        "file_encrypted",
        "file_not_a_list",
        "file_broken",
        "file_encoding",
        "file_too_many_cells",
        "file_too_many_rows",
        "file_cell_too_long",
        "file_text_budget",
        "file_columns",
        "import_throttled",
        "import_taken_over",
        "import_mode",
        "import_nothing_to_take",
        "import_running",
        "username_in_file",
        "number_in_file",
        "username_not_derivable",
        "numbers_used_up",
    ),
    # webhook endpoints (the "API-Schlüssel" page)
    "webhook": (
        "https_required",
        "url_credentials",
        "url_not_public",
        "too_many_endpoints",
        "endpoint_removed",
    ),
}

#: All codes, as a set (what :class:`Refusal` accepts).
CODES: frozenset[str] = frozenset(code for codes in CODE_FAMILIES.values() for code in codes)


def _plain(value: object) -> object:
    """A JSON-serialisable form of a message parameter."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return str(value)


@dataclass(frozen=True)
class Problem:
    """One reason for a refusal: a stable code, the field, the message, its parameters."""

    code: str
    message: str
    field: str = GENERAL
    params: dict = dataclass_field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown refusal code {self.code!r}: add it to portal.errors")
        object.__setattr__(self, "message", str(self.message))
        object.__setattr__(self, "params", _plain(dict(self.params)))

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "field": self.field,
            "message": self.message,
            "params": self.params,
        }


def problems_of(error: ValidationError, *, field: str = GENERAL) -> list[Problem]:
    """Every message of a validator's error with its code (``invalid`` when it has none)."""
    return [
        Problem(
            code=item.code if item.code in CODES else "invalid",
            message=item.message % item.params if item.params else item.message,
            field=field,
            params=item.params or {},
        )
        for item in error.error_list
    ]


class Refusal(Exception):
    """A rule stopped the command. Raise with one problem (``code``, ``message``, ``field``,
    ``params``) or with several (``problems``)."""

    def __init__(
        self,
        code: str = "",
        message: object = "",
        *,
        field: str = GENERAL,
        params: Mapping | None = None,
        problems: Iterable[Problem] | None = None,
    ) -> None:
        if problems is None:
            problems = [Problem(code=code, message=str(message), field=field, params=params or {})]
        self.problems: list[Problem] = list(problems)
        if not self.problems:
            raise ValueError("a refusal needs at least one problem")
        super().__init__(self.message)

    @property
    def code(self) -> str:
        """The first problem's code."""
        return self.problems[0].code

    @property
    def message(self) -> str:
        """The first problem's message (what a page shows when it shows one)."""
        return self.problems[0].message

    @property
    def params(self) -> dict:
        """The first problem's parameters."""
        return self.problems[0].params

    @property
    def errors(self) -> dict[str, list[str]]:
        """The messages keyed by field, in order."""
        return messages_by_field(self.problems)

    @property
    def codes(self) -> list[str]:
        return [problem.code for problem in self.problems]

    def as_list(self) -> list[dict]:
        """The problems as the API will answer them."""
        return [problem.as_dict() for problem in self.problems]


def messages_by_field(problems: Iterable[Problem]) -> dict[str, list[str]]:
    """The problems' messages keyed by field, in order (what a form shows)."""
    found: dict[str, list[str]] = {}
    for problem in problems:
        found.setdefault(problem.field, []).append(problem.message)
    return found
