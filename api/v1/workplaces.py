"""``/api/v1/workplaces``: the workplaces the key sees, searchable and filtered as on the page
"SIP-Trunk Arbeitsplätze verwalten", one workplace as on its page, and the edit of its user data
and contacts through the edit page's service."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Query, Schema
from pydantic import BaseModel, Field

from api.v1.base import PROBLEMS, Paging, Problem, api, paged, refused
from api.v1.pointers import pointer
from api.v1.workplace_out import WorkplaceOut, WorkplaceStatus, rows
from portal import policy
from portal.access import get_visible
from portal.errors import Refusal, problems_of
from trunks.models import SipTrunk
from workplaces.manage.forms import OverviewFilterForm
from workplaces.models import Workplace
from workplaces.services import lifecycle, setup

#: Every way a workplace is looked up: what its answer shows, loaded in the same query.
WORKPLACES = Workplace.objects.select_related("trunk", "number", "package")


class WorkplaceFilters(Schema):
    trunk: str | None = Field(None, description="Nur die Arbeitsplätze dieses SIP-Trunks (Code)")
    q: str = Field(
        "",
        max_length=OverviewFilterForm.base_fields["q"].max_length,
        description="Wie die Suche der Seite: Name, Benutzername oder Rufnummer",
    )
    status: WorkplaceStatus | None = Field(
        None, description="Nur Arbeitsplätze in diesem Status; ohne: alle außer gelöschten"
    )


class WorkplacePage(Schema):
    count: int
    page: int
    page_size: int
    pages: int
    items: list[WorkplaceOut]


NOT_FOUND = {404: Problem}


@api.get(
    "/workplaces",
    response={200: WorkplacePage, **NOT_FOUND, **PROBLEMS},
    tags=["Workplaces"],
)
def list_workplaces(
    request: HttpRequest, filters: Query[WorkplaceFilters], paging: Query[Paging]
) -> dict:
    """Die Arbeitsplätze (wie "SIP-Trunk Arbeitsplätze verwalten"), nach Nach- und Vorname."""
    actor = request.auth
    if filters.trunk is not None:
        trunks = [get_visible(SipTrunk.objects.all(), actor, filters.trunk)]
    else:
        trunks = list(policy.visible(actor, SipTrunk.objects.all()))
    query = _search_text(filters.q)
    found = lifecycle.workplaces_of_trunks(
        trunks, query, status=filters.status.value if filters.status else ""
    )
    page = paged(found, paging)
    page["items"] = rows(page["items"])
    return page


def _search_text(raw: str) -> str:
    """The search text as the page's field cleans it (no control or invisible characters)."""
    try:
        return OverviewFilterForm.base_fields["q"].clean(raw) or ""
    except ValidationError as error:
        raise Refusal(problems=problems_of(error, field="q")) from None


@api.get(
    "/workplaces/{code}",
    response={200: WorkplaceOut, **NOT_FOUND, **PROBLEMS},
    tags=["Workplaces"],
)
def get_workplace(request: HttpRequest, code: str) -> dict:
    """Ein Arbeitsplatz (wie seine Seite), auch ein gelöschter."""
    [row] = rows([get_visible(WORKPLACES, request.auth, code)])
    return row


# A plain pydantic model, not a ninja schema: a schema reads a body that is no JSON object as
# "nothing sent" instead of refusing it. Its docstring is the description clients read.
class WorkplacePatch(BaseModel):
    """Nur die gesendeten Felder ändern sich; es gelten die Regeln der Seite „Bearbeiten“."""

    first_name: str = Field(None, description="Vorname")
    last_name: str = Field(None, description="Nachname")
    street: str = Field(None, description="Straße")
    house_number: str = Field(None, description="Hausnummer")
    postcode: str = Field(None, description="PLZ")
    city: str = Field(None, description="Ort")
    email: str | None = Field(None, description="E-Mail-Adresse (freiwillig; null: keine)")
    auth_email: str = Field(None, description="E-Mail-Adresse zur Authentifizierung")
    mobile: str | None = Field(
        None,
        description="Mobilfunknummer für das Passwort per SMS, z. B. `0170 1234567`; null: "
        "Authentifizierung ohne Mobilfunknummer (Passwörter per E-Mail)",
    )


#: Where each field the service checks is in the request body.
PATCH_POINTERS = {name: pointer(name) for name in WorkplacePatch.model_fields}


@api.patch(
    "/workplaces/{code}",
    response={200: WorkplaceOut, 400: Problem, 403: Problem, **NOT_FOUND, **PROBLEMS},
    tags=["Workplaces"],
)
def patch_workplace(
    request: HttpRequest, code: str, payload: WorkplacePatch
) -> HttpResponse | dict:
    """Benutzerdaten und Kontaktdaten ändern, mit den Regeln der Seite "Bearbeiten"; der
    Benutzername ändert sich nie. Jede Änderung steht im Protokoll beim API-Schlüssel."""
    workplace = get_visible(WORKPLACES, request.auth, code)
    data = _edited(workplace, payload.model_dump(exclude_unset=True))
    try:
        lifecycle.update_workplace(workplace=workplace, data=data, actor=request.auth)
    except Refusal as refusal:
        return refused(request, refusal, PATCH_POINTERS)
    return get_workplace(request, code)


def _edited(workplace: Workplace, sent: dict) -> dict:
    """The edit form's data: the workplace's values, with the fields sent in their place."""
    data = {name: getattr(workplace, name) for name in setup.USER_DATA_FIELDS}
    data.update(
        auth_email=workplace.auth_email,
        mobile=workplace.mobile,
        without_mobile=not workplace.mobile,
    )
    if "mobile" in sent:
        data["without_mobile"] = sent["mobile"] is None
    data.update({name: "" if value is None else value for name, value in sent.items()})
    return data
