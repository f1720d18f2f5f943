"""The audit log: every change to a workplace or order is an event with who, when and what."""

from __future__ import annotations

from typing import Any

from portal import audit_actions
from portal.models import AuditEvent, User
from portal.policy import Actor


def record(
    *,
    customer_id: int,
    actor: Actor | User | None,
    action: str,
    object_type: str,
    object_code: object,
    params: dict[str, Any],
    remote_addr: str | None = None,
    trunk_id: int | None = None,
) -> AuditEvent:
    """One event of a kind in :data:`portal.audit_actions.ACTIONS`, with the parameters its
    sentence needs (plain data: they are stored as JSON and rendered when read).

    ``remote_addr`` is the client's address when a request caused it; ``trunk_id`` the trunk
    the event concerns (a workplace's), for admins limited to some trunks. An :class:`Actor` is
    stored as its user, with its label when that is not the user (an API key's name).
    """
    where = {
        "customer_id": customer_id,
        "trunk_id": trunk_id,
        "object_type": object_type,
        "object_code": str(object_code),
        "remote_addr": remote_addr,
    }
    return AuditEvent.objects.create(**_fields(actor, action, params), **where)


def _fields(actor: Actor | User | None, action: str, params: dict[str, Any]) -> dict[str, Any]:
    label = ""
    if isinstance(actor, Actor):
        actor, label = actor.user, actor.shown_label
    # Rendered once now so that a call with a missing parameter fails here, not in the
    # Protokoll of every reader later.
    audit_actions.ACTIONS[action].render(params)
    return {
        "actor": actor,
        "actor_label": label,
        "action": action,
        "details": params,
        "search_text": audit_actions.search_text(action, params),
    }


def record_many(events: list[dict[str, Any]]) -> None:
    """:func:`record` for many events in one insert (each a dict of its keyword arguments)."""
    AuditEvent.objects.bulk_create(
        AuditEvent(
            **_fields(event["actor"], event["action"], event["params"]),
            customer_id=event["customer_id"],
            trunk_id=event.get("trunk_id"),
            object_type=event["object_type"],
            object_code=str(event["object_code"]),
            remote_addr=event.get("remote_addr"),
        )
        for event in events
    )
