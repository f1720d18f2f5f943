"""The audit events a workplace's changes record, and the policy's answer before each change."""

from __future__ import annotations

from portal import audit, policy
from portal.policy import Actor
from workplaces.models import Workplace


def order_param(order: object | None) -> dict:
    """The order that caused an event (``orders.Order``, which sits above this module), for
    the Protokoll and the Verlauf to link to: its code and number, plain data."""
    if order is None:
        return {}
    return {"order": {"code": str(order.code), "number": order.number}}


def _allowed(actor: Actor | None, workplace: Workplace) -> None:
    """The policy's answer for a workplace; None is the system itself (a due cancellation)."""
    if actor is not None:
        policy.check_change(actor, workplace)


def _workplace_event(workplace: Workplace, actor: Actor | None, action: str, **params) -> None:
    audit.record(
        customer_id=workplace.trunk.customer_id,
        trunk_id=workplace.trunk_id,
        actor=actor,
        action=action,
        object_type="workplace",
        object_code=workplace.code,
        params={"username": workplace.username, **params},
    )
