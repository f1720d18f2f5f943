"""``/api/v1/trunks/{code}/numbers``: a trunk's numbers, searchable as on the page "Rufnummern",
with who holds each."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Query, Schema
from pydantic import Field

from api.v1.base import PROBLEMS, Paging, Problem, api, paged
from portal.access import get_visible
from trunks.forms import NumberSearchForm
from trunks.models import SipTrunk
from trunks.services import search_numbers
from workplaces.services.holders import number_holders


class NumberSearch(Schema):
    q: str = Field(
        "",
        max_length=NumberSearchForm.base_fields["q"].max_length,
        description="Wie die Suche der Seite: `0228 1812` oder `+49 228` vom Anfang der "
        "Rufnummer an, `*12` oder Ziffern ohne führende 0 an beliebiger Stelle",
    )
    free: bool = Field(False, description="Nur freie Rufnummern")


class NumberHolderOut(Schema):
    name: str = Field(description="Vor- und Nachname der Person (leer, wenn noch keiner da ist)")
    username: str | None = Field(description="Der Benutzername des Arbeitsplatzes (vergeben)")
    reserved_by: str | None = Field(
        description="Der Administrator, dessen Einrichtung die Rufnummer reserviert hat"
    )


class TrunkNumberOut(Schema):
    e164: str = Field(description="Die Rufnummer in E.164, z. B. `+4922818123410`")
    national: str = Field(description="Die Rufnummer national, z. B. `0228 181234-10`")
    extension: str = Field(description="Die Durchwahl (leer bei einer Einzelrufnummer)")
    status: Literal["free", "reserved", "assigned"] = Field(
        description="frei, reserviert in einer Einrichtung, oder einem Arbeitsplatz zugewiesen"
    )
    holder: NumberHolderOut | None = Field(
        description="Wer die Rufnummer hält; null, wenn sie frei ist"
    )


class NumberPage(Schema):
    count: int
    page: int
    page_size: int
    pages: int
    items: list[TrunkNumberOut]


@api.get(
    "/trunks/{code}/numbers",
    response={200: NumberPage, 404: Problem, **PROBLEMS},
    tags=["Trunks"],
)
def list_numbers(
    request: HttpRequest, code: str, search: Query[NumberSearch], paging: Query[Paging]
) -> dict:
    """Die Rufnummern eines SIP-Trunks mit Suche (wie die Seite "Rufnummern"), nach Rufnummer."""
    trunk = get_visible(SipTrunk.objects.all(), request.auth, code)
    page = paged(search_numbers(trunk, search.q, only_free=search.free), paging)
    holders = number_holders(page["items"])
    page["items"] = [_number(number, holders.get(number.pk)) for number in page["items"]]
    return page


def _number(number, holder) -> dict:
    if holder is None:
        status, held = "free", None
    else:
        status = "reserved" if holder.reserved else "assigned"
        held = {
            "name": holder.name,
            "username": None if holder.reserved else holder.username,
            "reserved_by": holder.admin if holder.reserved else None,
        }
    return {
        "e164": number.e164,
        "national": number.national,
        "extension": number.extension,
        "status": status,
        "holder": held,
    }
