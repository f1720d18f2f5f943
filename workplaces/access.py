from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from portal.access import get_scoped
from trunks.models import SipTrunk
from workplaces.models import ImportRun, SetupDraft, Workplace


def get_draft_for(request: HttpRequest, code: object, *, live: bool = True) -> SetupDraft:
    """A wizard draft of the requesting admin (drafts are personal, like the cart)."""
    drafts = SetupDraft.objects.select_related("trunk", "number", "package")
    if live:
        drafts = drafts.filter(status__in=SetupDraft.LIVE)
    return get_scoped(drafts, request, code)


def get_workplace_for(request: HttpRequest, code: object) -> Workplace:
    workplaces = Workplace.objects.select_related("trunk", "number", "package", "user")
    return get_scoped(workplaces, request, code)


def get_import_run_for(request: HttpRequest, trunk: SipTrunk, code: object) -> ImportRun:
    """An import run of the requesting admin on ``trunk`` (runs are personal, like drafts).

    The big fields are loaded only when read: a poll of the progress page needs none of them.
    """
    runs = ImportRun.objects.select_related("trunk").defer(
        "upload", "sheet", "result", "cart_result"
    )
    return get_scoped(runs, request, code, trunk=trunk)


def refuse_change(request: HttpRequest, workplace: Workplace) -> HttpResponse:
    """Back to the workplace's page, saying that it cannot be changed any more (a view calls
    this when the service's rule refuses; looking a workplace up says nothing)."""
    messages.error(request, _("Dieser Arbeitsplatz kann nicht mehr geändert werden."))
    return redirect("manage:detail", workplace.code)
