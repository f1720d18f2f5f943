from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import add_never_cache_headers


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
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Headers only: a streamed body is left as it is.
            add_never_cache_headers(response)
        return response
