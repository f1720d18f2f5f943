from __future__ import annotations

from django.http import HttpRequest

from portal.access import customer_of, get_scoped
from workplaces.models import SetupDraft, Workplace


def get_draft_for(request: HttpRequest, code: object, *, live: bool = True) -> SetupDraft:
    """A wizard draft of the requesting admin (drafts are personal, like the cart)."""
    drafts = SetupDraft.objects.select_related("trunk", "number", "package")
    if live:
        drafts = drafts.filter(status__in=SetupDraft.LIVE)
    return get_scoped(drafts, request, code, customer=customer_of(request), created_by=request.user)


def get_workplace_for(request: HttpRequest, code: object) -> Workplace:
    workplaces = Workplace.objects.select_related("trunk", "number", "package", "user")
    return get_scoped(workplaces, request, code, trunk__customer=customer_of(request))
