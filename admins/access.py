from __future__ import annotations

from django.http import Http404, HttpRequest

from admins.models import AdminInvitation
from portal import policy
from portal.access import actor_of, get_scoped
from portal.models import User


def get_admin_for(request: HttpRequest, username: str) -> User:
    """An admin of the request's customer that its actor may manage, or 404."""
    admins = policy.visible(actor_of(request), User.objects.filter(customer__isnull=False))
    try:
        return admins.get(username=username)
    except User.DoesNotExist:
        raise Http404 from None


def get_invitation_for(request: HttpRequest, code: str) -> AdminInvitation:
    return get_scoped(AdminInvitation.objects.all(), request, code)
