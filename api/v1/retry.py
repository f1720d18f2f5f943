"""What every POST of ``/api/v1/`` shares: the required ``Idempotency-Key`` header, and the
first answer replayed for its copies (:mod:`api.idempotency`)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from ninja import Header

from api import idempotency
from api.v1.base import PROBLEMS, Problem, api, problem

#: The header parameter of every POST (missing, too long or not visible ASCII: 400).
IDEMPOTENCY_KEY = Header(
    ...,
    alias="Idempotency-Key",
    min_length=1,
    max_length=255,
    pattern=r"^[!-~]+$",  # visible ASCII, as HTTP carries it unchanged
    description="Ein eindeutiger Wert je Vorgang (z. B. eine UUID). Dieselbe Anfrage mit "
    "demselben Schlüssel erhält die erste Antwort erneut; mindestens 24 Stunden lang.",
)

#: The problems a POST can answer.
POST_PROBLEMS = {400: Problem, 404: Problem, **PROBLEMS}


def idempotent(request: HttpRequest, key: str, respond: Callable[[], HttpResponse]) -> HttpResponse:
    """``respond()`` once per key of the request's API key; a refusal it raises becomes its
    problem answer (stored like any answer), a programming error stays an error."""

    def answer() -> HttpResponse:
        try:
            return respond()
        except Exception as exc:  # the API's handlers answer refusals; the rest re-raises
            return api.on_exception(request, exc)

    try:
        return idempotency.once(request, request.api_key, key, answer)
    except idempotency.KeyReused:
        return problem(
            request,
            422,
            "Unprocessable Content",
            detail="Dieser Idempotency-Key wurde bereits für eine andere Anfrage verwendet.",
        )
