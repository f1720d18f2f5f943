from __future__ import annotations

from django.http import HttpRequest

from portal.access import get_scoped
from trunks.models import SipTrunk


def get_trunk_for(request: HttpRequest, code: object) -> SipTrunk:
    return get_scoped(SipTrunk.objects.all(), request, code)
