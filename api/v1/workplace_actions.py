"""Commands on one workplace under ``/api/v1/workplaces/{code}/``: "Passwort zurücksetzen"."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Schema
from pydantic import Field

from api.v1.base import api
from api.v1.retry import IDEMPOTENCY_KEY, POST_PROBLEMS, idempotent
from portal import policy
from portal.access import client_ip
from workplaces.models import Workplace
from workplaces.services import credentials


class PasswordResetOut(Schema):
    workplace: str
    channel: str = Field(description="sms oder email: wie das neue temporäre Passwort kommt")


def _reset(request: HttpRequest, code: str) -> HttpResponse:
    workplace = policy.find(request.auth, Workplace.objects.select_related("trunk"), code)
    credentials.reset_password(
        workplace=workplace, actor=request.auth, remote_addr=client_ip(request), language="de"
    )
    route = credentials.password_route(workplace, reset=True)
    body = {"workplace": str(workplace.code), "channel": route["channel"]}
    return api.create_response(request, body, status=202)


@api.post(
    "/workplaces/{code}/password-reset",
    response={202: PasswordResetOut, **POST_PROBLEMS},
    tags=["Arbeitsplätze"],
)
def reset_password(request: HttpRequest, code: str, idempotency_key: str = IDEMPOTENCY_KEY):
    """Wie "Passwort zurücksetzen": das alte Passwort gilt sofort nicht mehr; ein neues
    temporäres kommt per SMS (mit Mobilnummer) oder E-Mail."""
    return idempotent(request, idempotency_key, lambda: _reset(request, code))
