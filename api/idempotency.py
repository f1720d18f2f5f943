"""Safe to retry: every POST of the API carries an ``Idempotency-Key``; the same key with the
same request gets the first answer again (status, body, headers such as ``Location``), never a
second order, also when the copies arrive at once.

The key's row is inserted in the transaction that does the work. A copy that arrives meanwhile
inserts the same (API key, key) and waits on the unique constraint until the first commits,
then reads its answer; when the first fails with a server error its transaction rolls back,
the row with it, and the copy does the work itself. Nothing but complete answers is stored.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from api.models import ApiKey, IdempotencyKey

#: The answer's headers a copy gets too (the rest Django and the middleware set again).
REPLAYED_HEADERS = ("Content-Type", "Location")
#: Sent with a replayed answer, so a client can tell.
REPLAY_HEADER = "Idempotent-Replayed"


class KeyReused(Exception):
    """The key came with another request before (another body, another operation)."""


def request_hash(request: HttpRequest) -> str:
    """SHA-256 of method, path and body; a JSON body counts by its content, so the order
    of its members or its spacing does not make another request."""
    body: bytes = request.body
    with contextlib.suppress(ValueError):
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def _replay(record: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(bytes(record.response_body), status=record.status_code)
    for name, value in record.response_headers.items():
        response[name] = value
    response[REPLAY_HEADER] = "true"
    return response


def once(
    request: HttpRequest,
    api_key: ApiKey,
    key: str,
    respond: Callable[[], HttpResponse],
) -> HttpResponse:
    """The answer of ``respond()`` for the first request with ``key``; the stored one for
    its copies. Raises :class:`KeyReused` when the key came with another request.

    ``respond`` runs inside the transaction that holds the key, and answers every refusal
    itself (a 4xx is an answer and is stored); an exception or a 5xx stores nothing.
    """
    fingerprint = request_hash(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    api_key=api_key, key=key, request_hash=fingerprint
                )
        except IntegrityError:
            # Another request holds the key; the insert waited until it committed.
            record = IdempotencyKey.objects.get(api_key=api_key, key=key)
            if record.request_hash != fingerprint:
                raise KeyReused from None
            return _replay(record)
        response = respond()
        if response.status_code >= 500:
            transaction.set_rollback(True)
            return response
        record.status_code = response.status_code
        record.response_body = response.content
        record.response_headers = {
            name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)
        }
        record.save(update_fields=["status_code", "response_body", "response_headers"])
    return response


def purge_idempotency_keys(*, now: dt.datetime | None = None) -> int:
    """Delete the keys older than ``IDEMPOTENCY_KEY_HOURS``; returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
