"""One family of access helpers: everything a customer admin sees is scoped by the policy
(:mod:`portal.policy`), the same one the services ask.

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

from portal import policy
from portal.models import Customer
from portal.policy import Actor


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


def changes_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page that exists only to change something (the wizard, the cart, the import): an
    admin whose role changes nothing (``Leser``) gets the 403 page, whatever the method."""

    @customer_admin_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        policy.check_changes(actor_of(request))
        return view(request, *args, **kwargs)

    return wrapper


def reach_required(model: type[Model]) -> Callable:
    """A page about one kind of object (API keys, admins) that the role must reach."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @customer_admin_required
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            policy.check_reach(actor_of(request), model)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def actor_of(request: HttpRequest) -> Actor:
    """The principal a page's commands act for: the logged-in admin."""
    return Actor.for_admin(request.user)


def customer_of(request: HttpRequest) -> Customer:
    customer = request.user.customer
    if customer is None:
        raise Http404
    return customer


def get_scoped[M: Model](queryset: QuerySet[M], request: HttpRequest, code: object, **scope) -> M:
    """The object with public ``code`` that the policy lets the request's actor see, or 404."""
    return get_visible(queryset, actor_of(request), code, **scope)


def get_visible[M: Model](queryset: QuerySet[M], actor: Actor, code: object, **scope) -> M:
    """The object with public ``code`` that the policy lets ``actor`` see, or 404 (for a
    front door whose actor is not the logged-in admin: an API key)."""
    queryset = policy.visible(actor, queryset)
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

    ``X-Forwarded-For`` counts only when the request comes from one of ``TRUSTED_PROXIES``:
    then each trusted proxy on the way appended the address it saw, so walking from the right
    the first entry that is not itself a trusted proxy is the client. Everything left of it
    came from the client and proves nothing; so does the whole header from anyone else.
    """
    client = _address(request.META.get("REMOTE_ADDR") or "")
    if client is None:
        return None
    if _trusted(client):
        for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
            hop = _address(entry)
            if hop is None:  # a trusted proxy would not write this: stop at the last sure hop
                break
            client = hop
            if not _trusted(hop):
                break
    return str(client)


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the request came in through one of ``TRUSTED_PROXIES`` (by its connection)."""
    address = _address(request.META.get("REMOTE_ADDR") or "")
    return address is not None and _trusted(address)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d; it is the IPv4 address.
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)
