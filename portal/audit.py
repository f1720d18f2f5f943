"""The audit log: every change to a workplace or order is an event with who, when and what."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.models import AuditEvent, User

ACTIONS = {
    "workplace_created": _("Eingerichtet"),
    "workplace_edited": _("Bearbeitet"),
    "package_changed": _("Paket geändert"),
    "password_reset": _("Passwort zurückgesetzt"),
    "deletion_scheduled": _("Kündigung vorgemerkt"),
    "workplace_deleted": _("Gelöscht"),
    "order_placed": _("Auftrag bestellt"),
}


def record(
    *,
    customer_id: int,
    actor: User | None,
    action: str,
    object_type: str,
    object_code: object,
    summary: str,
    details: dict | None = None,
    remote_addr: str | None = None,
) -> AuditEvent:
    """One event; ``remote_addr`` is the client's address when a request caused it."""
    return AuditEvent.objects.create(
        customer_id=customer_id,
        actor=actor,
        action=action,
        object_type=object_type,
        object_code=str(object_code),
        summary=summary[:300],
        details=details or {},
        remote_addr=remote_addr,
    )
