"""What a request's log lines say of it, on top of django-structlog's RequestMiddleware.

* ``ip``: the client's address as the login throttling sees it (:func:`portal.access.client_ip`,
  X-Forwarded-For only from ``TRUSTED_PROXIES``), not django-ipware's guess from headers any
  client can send.
* ``duration_ms`` on ``request_finished`` (``request_started`` is a DEBUG line: one line per
  request at INFO).
* ``request_id``: a new uuid4 per request; the proxy's ``X-Request-ID`` only with
  ``LOG_TRUST_REQUEST_ID``, only from one of ``TRUSTED_PROXIES`` and only when it looks like
  an id (1 to 64 letters, digits, ``.``, ``_``, ``-``). The answer carries it back in
  ``X-Request-ID``, so a support case can name the lines of its request.
* ``user_id``: bound once the request loads its user (django-structlog would load it for
  every request, and ``/healthz`` must ask nothing of the database); of an API request, the
  admin the API key acts for, and ``api_key`` its code.
"""

from __future__ import annotations

import re
import time
from typing import Any

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject
from django_structlog import signals

from portal.access import client_ip, from_trusted_proxy
from portal.logs import REQUEST_ID_MAX

_REQUEST_ID = re.compile(rf"[A-Za-z0-9._-]{{1,{REQUEST_ID_MAX}}}")


def _upstream_request_id(request: HttpRequest) -> str | None:
    if not (settings.LOG_TRUST_REQUEST_ID and from_trusted_proxy(request)):
        return None
    value = request.headers.get("X-Request-ID", "")
    return value if _REQUEST_ID.fullmatch(value) else None


def _bind_user_when_loaded(request: HttpRequest) -> None:
    user = getattr(request, "user", None)
    if user is None:
        return

    def load():
        structlog.contextvars.bind_contextvars(user_id=user.pk)  # loads a lazy user
        return user._wrapped if isinstance(user, SimpleLazyObject) else user

    request.user = SimpleLazyObject(load)


def on_request_started(sender: Any, request: HttpRequest, **kwargs: Any) -> None:
    request.log_started_at = time.monotonic()
    fields: dict[str, Any] = {"ip": client_ip(request)}
    if upstream := _upstream_request_id(request):
        fields["request_id"] = upstream
    structlog.contextvars.bind_contextvars(**fields)
    _bind_user_when_loaded(request)


def bind_api_key(request: HttpRequest) -> None:
    """An API request's lines name the admin its key acts for (``request.user`` is anonymous
    there) and the key by its code; called once the key is known and again at the end (a
    look at ``request.user`` meanwhile bound its id)."""
    api_key = getattr(request, "api_key", None)
    if api_key is not None:
        structlog.contextvars.bind_contextvars(user_id=api_key.admin_id, api_key=str(api_key.code))


def _answer_with_request_id(response: HttpResponse) -> None:
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        response["X-Request-ID"] = request_id


def on_request_finished(
    sender: Any, request: HttpRequest, response: HttpResponse, log_kwargs: dict, **kwargs: Any
) -> None:
    bind_api_key(request)
    _answer_with_request_id(response)
    if started := getattr(request, "log_started_at", None):
        log_kwargs["duration_ms"] = round(1000 * (time.monotonic() - started))


def on_request_failed(sender: Any, request: HttpRequest, **kwargs: Any) -> None:
    bind_api_key(request)


def on_failure_response(sender: Any, request: HttpRequest, response: HttpResponse, **kw) -> None:
    _answer_with_request_id(response)


def connect() -> None:
    uid = "portal-logs"
    signals.bind_extra_request_metadata.connect(on_request_started, dispatch_uid=uid)
    signals.bind_extra_request_finished_metadata.connect(on_request_finished, dispatch_uid=uid)
    signals.bind_extra_request_failed_metadata.connect(on_request_failed, dispatch_uid=uid)
    signals.update_failure_response.connect(on_failure_response, dispatch_uid=uid)
