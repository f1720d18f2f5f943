from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from portal import policy
from portal.policy import Actor

# Which entry of the main navigation a page belongs to, by URL namespace (and name).
NAV_SECTIONS = {
    "manage": "workplaces",
    "wizard": "workplaces",
    "listimport": "workplaces",
    "orders:change_package": "workplaces",
    "orders:delete": "workplaces",
    "orders:status": "status",
    "orders:list": "status",
    "orders:detail": "status",
    "orders:cart": "cart",
    "portal:protokoll": "protokoll",
    "notifications": "outbox",
    "api": "api",
    "admins": "admins",
}
NOT_IN_NAV = {"manage:dashboard", "manage:numbers"}


def nav_section(request: HttpRequest) -> str:
    """The main navigation's section of the requested page ("" for none)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    name = f"{match.namespace}:{match.url_name}"
    if name in NOT_IN_NAV:
        return ""
    return NAV_SECTIONS.get(name) or NAV_SECTIONS.get(match.namespace, "")


def portal(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    customer = user.customer if user is not None and user.is_authenticated else None
    actor = Actor.for_admin(user) if customer is not None else None
    return {
        "current_customer": customer,
        # What the role lets the admin do: the pages show no button the policy would refuse.
        "can_change": actor is not None and actor.changes,
        "can_keys": actor is not None and policy.reaches(actor, "api.apikey"),
        "can_admins": actor is not None and policy.reaches(actor, "portal.user"),
        "debug_outbox": settings.DEBUG,
        "nav_section": nav_section(request),
    }
