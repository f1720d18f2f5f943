"""One family of access helpers: everything a customer admin sees is scoped to the customer.

A foreign object is a 404, never a 403 that would confirm it exists.
"""

from __future__ import annotations

import functools
import ipaddress
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from portal.models import Customer


def customer_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only a logged-in admin of a customer may pass; others are sent to log in or refused."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_customer_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def customer_of(request: HttpRequest) -> Customer:
    customer = request.user.customer
    if customer is None:
        raise Http404
    return customer


def get_scoped[M: Model](queryset: QuerySet[M], request: HttpRequest, code: object, **scope) -> M:
    """The object with public ``code`` in the request's customer, or 404."""
    try:
        code = uuid.UUID(str(code))
    except ValueError:
        raise Http404 from None
    try:
        return queryset.get(code=code, **scope)
    except queryset.model.DoesNotExist:
        raise Http404 from None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, for throttling logins and password resets.

    Behind the TLS proxy (``TRUST_X_FORWARDED_FOR``) it is the last X-Forwarded-For entry,
    the one the proxy added; entries before it come from the client and prove nothing.
    """
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR") or None
