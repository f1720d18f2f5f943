"""``/api/v1/trunks``: the SIP trunks the key sees, with their quota."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Schema
from pydantic import Field

from api.v1.base import PROBLEMS, Paging, api, paged
from portal import policy
from trunks.models import SipTrunk
from workplaces.services import quota


class TrunkOut(Schema):
    code: str = Field(description="Der UUID-Code des Trunks, wie in den Adressen der Seiten")
    name: str
    quota: int = Field(description="Kontingent an Arbeitsplätzen")
    used: int = Field(description="Belegte Plätze: Arbeitsplätze und Entwürfe in Warenkörben")
    free: int = Field(description="Freie Plätze")


class TrunkPage(Schema):
    count: int
    page: int
    page_size: int
    pages: int
    items: list[TrunkOut]


@api.get("/trunks", response={200: TrunkPage, **PROBLEMS}, tags=["Trunks"])
def list_trunks(request: HttpRequest, paging: Query[Paging]) -> dict:
    """Die SIP-Trunks, die der Schlüssel sieht, mit Kontingent (wie "Kontingente")."""
    trunks = quota.with_places(policy.visible(request.auth, SipTrunk.objects.all()))
    page = paged(trunks.order_by("name", "pk"), paging)
    page["items"] = [
        {
            "code": str(trunk.code),
            "name": trunk.name,
            "quota": trunk.workplace_quota,
            "used": trunk.workplaces_used + trunk.in_carts,
            "free": max(quota.places_left(trunk), 0),
        }
        for trunk in page["items"]
    ]
    return page
