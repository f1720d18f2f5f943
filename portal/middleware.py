from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.views import defaults

from portal import twofactor, twofactor_views
from portal.errors import Refusal
from portal.throttling import set_device_cookie

log = logging.getLogger(__name__)


class GermanFirstLocaleMiddleware(LocaleMiddleware):
    """German unless the user picked another language in the top bar.

    The browser's Accept-Language is not consulted: the portal is German first, and an
    English-language browser must not switch an admin's portal to English unasked.
    """

    def process_request(self, request: HttpRequest) -> None:
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if code not in dict(settings.LANGUAGES):
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = translation.get_language()


class NoStoreWhenLoggedInMiddleware:
    """Whatever a logged-in user gets (pages, the CSV export) is kept by no browser or proxy.

    Such a response shows the user's customer data; a shared computer's back button or cache
    must not bring it back after logout. Static files are served before this runs, by
    whitenoise; answers to visitors (``/healthz``) keep their headers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # A response that never looked at the session cannot show a user's data; asking for
        # the user now would load the session from the database (``/healthz`` must not).
        session = getattr(request, "session", None)
        if session is None or not session.accessed:
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Headers only: a streamed body is left as it is.
            add_never_cache_headers(response)
        return response


#: PostgreSQL's lock_not_available (lock_timeout) and query_canceled (statement_timeout).
_BUSY_SQLSTATES = {"55P03", "57014"}


def database_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is a wait on the database that was cut short, not a broken query.

    PostgreSQL cancels a statement after ``lock_timeout`` or ``statement_timeout``; SQLite
    gives up after its busy timeout with "database is locked". Django raises both as
    ``OperationalError``; the driver's own error is its cause.
    """
    if not isinstance(exc, OperationalError):
        return False
    if getattr(exc.__cause__, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    return "database is locked" in str(exc) or "database table is locked" in str(exc)


class DatabaseBusyMiddleware:
    """A request that waited too long for the database answers 503 with ``Retry-After``.

    The statement was cancelled and its transaction rolled back, so nothing half-done stays
    behind and the same request may simply be sent again ("Kostenpflichtig bestellen" keeps
    its cart token, so a retry still makes one order). The page asks nothing of the database
    (no user, no customer): it may still be busy.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_busy(exception):
            return None
        log.warning(
            "database busy, answered 503: %s %s: %s", request.method, request.path, exception
        )
        retry_after = settings.DATABASE_BUSY_RETRY_AFTER
        body = render_to_string("portal/busy.html", {"retry_after": retry_after})
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(retry_after)
        add_never_cache_headers(response)
        return response


class DeviceCookieMiddleware:
    """Sets the device cookie a successful login asked for (see ``portal.throttling``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        set_device_cookie(request, response)
        return response


class AccessRefusalMiddleware:
    """A page whose command the policy refused answers as the policy said: ``forbidden`` is
    the German 403 page (a ``Leser`` asked for a change), ``not_found`` a 404. The pages catch
    the refusals they can show in a form; these two end the page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, Refusal):
            return None
        if exception.code == "forbidden":
            return defaults.permission_denied(request, PermissionDenied(exception.message))
        if exception.code == "not_found":
            return defaults.page_not_found(request, Http404(exception.message))
        return None


class SecondFactorMiddleware:
    """A session that owes the second factor (see :func:`portal.twofactor.pending_step`)
    reaches no page but the code step or the setup (and logging out, the language, the
    invitation): every page, the back office's included, is behind it. The JSON API is
    not: its keys are not sessions."""

    EXEMPT = frozenset(
        {
            "portal:two_factor_code",
            "portal:two_factor_setup",
            "portal:logout",
            "portal:login",
            "portal:healthz",
            "portal:readyz",
            ":set_language",
            "invitation:accept",
            "invitation:open",
        }
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, args, kwargs) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.namespace.startswith("api-v1"):
            return None
        if f"{match.namespace}:{match.url_name}" in self.EXEMPT:
            return None
        step = twofactor_views.pending_step(request)
        if step is None:
            return None
        target = "portal:two_factor_code" if step == twofactor.CODE else "portal:two_factor_setup"
        url = f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}"
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
