""" "Telefon einrichten": the page with the QR code, and the link a softphone fetches once.

The page makes a code only on POST and shows it in that answer alone: only the token's
hash is stored, so a reload shows the state, not the code again. The link answers the
softphone's configuration (``provisioning.softphone``) once; every other answer has no body.
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from portal import ratelimit
from portal.access import client_ip
from provisioning.backends import RegistrarUnavailable
from workplaces.myportal import services
from workplaces.myportal.views import end_user_required
from workplaces.services import phone_setup

#: Seconds a softphone waits before it tries again when the registrar did not answer.
RETRY_AFTER_SECONDS = 60
NO_STORE = {"Cache-Control": "no-store"}


def qr_svg(url: str) -> SafeString:
    """The link as a QR code, an inline SVG made here (nothing leaves the server)."""
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(scale=5, border=4, dark="#000", light="#fff", title=_("QR-Code"))
    return mark_safe(svg)  # noqa: S308 - segno's own markup; the URL is only encoded in it


@require_http_methods(["GET", "POST"])
@end_user_required()
def page(request: HttpRequest) -> HttpResponse:
    connection = services.connection_of(request.workplace)
    issued = None
    if request.method == "POST" and connection is not None:
        issued = phone_setup.issue(workplace=request.workplace)
    context = {
        "workplace": request.workplace,
        "connection": connection,
        "state": phone_setup.state_of(request.workplace),
        "issued": issued,
        "qr": qr_svg(issued.url) if issued else None,
        "minutes": settings.PHONE_SETUP_MINUTES,
    }
    response = render(request, "workplaces/myportal/phone_setup.html", context)
    add_never_cache_headers(response)
    return response


def _bare(status: int, **headers: str) -> HttpResponse:
    """An answer without a body that no cache keeps and Django's request log leaves out
    (its line would name the path, and with it a token that may still be good)."""
    response = HttpResponse(status=status, headers={**NO_STORE, **headers})
    response._has_been_logged = True
    return response


@csrf_exempt  # its 403 for a POST would log the path, and with it the token
def provision(request: HttpRequest, token: str) -> HttpResponse:
    """The softphone's configuration for a good code, once; 410 after that or expiry.

    GET only (a link checker's HEAD must not spend the code). Over plain http only with
    ``DEBUG``: the answer carries a credential of the realm.
    """
    if request.method != "GET":
        return _bare(405, Allow="GET")
    if not (request.is_secure() or settings.DEBUG):
        return _bare(403)
    address = client_ip(request)
    try:
        ratelimit.hit(
            "phone_setup",
            address,
            limit=settings.PHONE_SETUP_FETCHES_PER_ADDRESS,
            window_seconds=settings.PHONE_SETUP_WINDOW_SECONDS,
        )
    except ratelimit.RateLimited as exc:
        seconds = max(1, int((exc.retry_at - timezone.now()).total_seconds()))
        return _bare(429, **{"Retry-After": str(seconds)})
    try:
        document = phone_setup.fetch(token=token, address=address)
    except phone_setup.Gone:
        return _bare(410)
    except RegistrarUnavailable:
        return _bare(503, **{"Retry-After": str(RETRY_AFTER_SECONDS)})
    return HttpResponse(document, content_type="application/xml; charset=utf-8", headers=NO_STORE)
