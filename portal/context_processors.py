from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    customer = user.customer if user is not None and user.is_authenticated else None
    return {"current_customer": customer, "debug_outbox": settings.DEBUG}
