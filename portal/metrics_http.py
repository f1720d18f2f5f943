"""``/metrics`` and the middleware that counts requests.

``/metrics`` answers only a connection from ``METRICS_ALLOWED_NETWORKS`` (by ``REMOTE_ADDR``:
``X-Forwarded-For`` never counts, a client writes it itself) or a request with
``Authorization: Bearer <METRICS_TOKEN>``; anyone else gets a 404, which does not tell that
the page exists. Behind a reverse proxy every request comes from the proxy's address: use
the token there, and keep the proxy's address out of the allowed networks.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from portal import metrics


def _from_allowed_network(request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", "").strip())
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


def _has_token(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not (_has_token(request) or _from_allowed_network(request)):
        raise Http404
    response = HttpResponse(generate_latest(metrics.registry()), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


class RequestMetricsMiddleware:
    """Counts each response by the route's name (``portal:login``), never the path, which
    holds codes and tokens; a path no route matches counts as ``unmatched``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or "unnamed") if match is not None else "unmatched"
        if view != "metrics":
            method = request.method if request.method in _METHODS else "other"
            metrics.REQUESTS.labels(view, method, str(response.status_code)).inc()
            metrics.REQUEST_SECONDS.labels(view).observe(time.perf_counter() - started)
        return response


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
