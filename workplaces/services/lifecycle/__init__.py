"""What happens to a workplace after ordering: activation, edits, package changes, deletion.

Each function re-checks its rule against the state at the moment it applies the change (a
check at the page, a re-check under lock when the order is processed) and records an audit
event.
"""

from __future__ import annotations

from workplaces.services.lifecycle.activation import (
    activate_workplace,
    activate_workplaces,
    registrar_expected,
    registrar_ref,
)
from workplaces.services.lifecycle.changes import (
    EDITABLE_FIELDS,
    change_package,
    delete_workplace,
    schedule_deletion,
    update_workplace,
    withdraw_cancellation,
)
from workplaces.services.lifecycle.events import order_param
from workplaces.services.lifecycle.queries import (
    due_deletions,
    events_of,
    workplaces_of_trunk,
    workplaces_of_trunks,
    workplaces_with_page,
)
from workplaces.services.lifecycle.rules import (
    PackageOption,
    deletion_refusal,
    minimum_term_message,
    minimum_term_refusal,
    not_active_refusal,
    not_in_service_refusal,
    not_manageable_refusal,
    package_change_allowed,
    package_change_refusal,
    package_options,
    withdrawal_refusal,
)

__all__ = [
    "EDITABLE_FIELDS",
    "PackageOption",
    "activate_workplace",
    "activate_workplaces",
    "change_package",
    "delete_workplace",
    "deletion_refusal",
    "due_deletions",
    "events_of",
    "minimum_term_message",
    "minimum_term_refusal",
    "not_active_refusal",
    "not_in_service_refusal",
    "not_manageable_refusal",
    "order_param",
    "package_change_allowed",
    "package_change_refusal",
    "package_options",
    "registrar_expected",
    "registrar_ref",
    "schedule_deletion",
    "update_workplace",
    "withdraw_cancellation",
    "withdrawal_refusal",
    "workplaces_of_trunk",
    "workplaces_of_trunks",
    "workplaces_with_page",
]
