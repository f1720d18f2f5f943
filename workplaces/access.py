from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from portal.access import customer_of, get_scoped
from trunks.models import SipTrunk
from workplaces.models import ImportRun, SetupDraft, Workplace


def get_draft_for(request: HttpRequest, code: object, *, live: bool = True) -> SetupDraft:
    """A wizard draft of the requesting admin (drafts are personal, like the cart)."""
    drafts = SetupDraft.objects.select_related("trunk", "number", "package")
    if live:
        drafts = drafts.filter(status__in=SetupDraft.LIVE)
    return get_scoped(drafts, request, code, customer=customer_of(request), created_by=request.user)


def get_workplace_for(request: HttpRequest, code: object) -> Workplace:
    workplaces = Workplace.objects.select_related("trunk", "number", "package", "user")
    return get_scoped(workplaces, request, code, trunk__customer=customer_of(request))


def manageable(request: HttpRequest, code: object) -> Workplace:
    """A workplace of the customer for a change; says so when it cannot be changed any more."""
    workplace = get_workplace_for(request, code)
    if not workplace.is_manageable:
        messages.error(request, _("Dieser Arbeitsplatz kann nicht mehr geändert werden."))
    return workplace


def in_service(request: HttpRequest, code: object) -> Workplace:
    """A workplace of the customer whose data or password is to change; says so when it is
    no longer in service (deleted)."""
    workplace = get_workplace_for(request, code)
    if not workplace.is_in_service:
        messages.error(request, _("Dieser Arbeitsplatz kann nicht mehr geändert werden."))
    return workplace


def get_import_run_for(request: HttpRequest, trunk: SipTrunk, code: object) -> ImportRun:
    """An import run of the requesting admin on ``trunk`` (runs are personal, like drafts).

    The big fields are loaded only when read: a poll of the progress page needs none of them.
    """
    runs = ImportRun.objects.select_related("trunk").defer(
        "upload", "sheet", "result", "cart_result"
    )
    return get_scoped(
        runs, request, code, customer=customer_of(request), trunk=trunk, created_by=request.user
    )
