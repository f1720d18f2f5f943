from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


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
