"""``/api/v1/orders``: order new workplaces, package changes and deletions in one order, all
or nothing, with the services of the pages; read orders with their items and messages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Schema
from pydantic import Field

from api.v1 import pointers
from api.v1.base import PROBLEMS, Paging, Problem, api, paged, problem
from api.v1.retry import IDEMPOTENCY_KEY, POST_PROBLEMS, idempotent
from notifications.models import Notification
from orders import services
from orders.models import Order, OrderItem
from portal import policy
from portal.errors import GENERAL
from portal.errors import Problem as Found

TAGS = ["Aufträge"]
MAX_ITEMS = 100


class NewWorkplaceIn(Schema):
    """A new workplace, checked with the wizard's rules (every field as in the wizard)."""

    kind: Literal["new_workplace"]
    trunk: str = Field(description="Code des SIP-Trunks")
    first_name: str = ""
    last_name: str = ""
    street: str = ""
    house_number: str = ""
    postcode: str = ""
    city: str = ""
    email: str = Field("", description="E-Mail-Adresse der Person (optional)")
    username: str | None = Field(None, description="null: der Vorschlag aus dem Namen")
    auth_email: str = Field("", description="E-Mail-Adresse für die Zugangsdaten")
    mobile: str | None = Field(None, description="null: das Passwort kommt per E-Mail")
    number: str | None = Field(
        None, description="E.164, national oder die Durchwahl; null: die nächste freie"
    )
    package: str | None = Field(None, description="Code eines Konferenzpakets; null: keines")


class PackageChangeIn(Schema):
    """A package change, with the rules of "Paket ändern" (minimum term, pending changes)."""

    kind: Literal["package_change"]
    workplace: str = Field(description="Code des Arbeitsplatzes")
    package: str | None = Field(description="Code des neuen Pakets; null: Paket kündigen")


class DeletionIn(Schema):
    """A deletion, with the rules of "Löschen": inside the minimum term it is scheduled."""

    kind: Literal["deletion"]
    workplace: str = Field(description="Code des Arbeitsplatzes")


OrderItemIn = Annotated[NewWorkplaceIn | PackageChangeIn | DeletionIn, Field(discriminator="kind")]


class OrderIn(Schema):
    items: list[OrderItemIn] = Field(min_length=1, max_length=MAX_ITEMS)


class ScheduledOut(Schema):
    item: int = Field(description="Index der Position in der Anfrage")
    workplace: str
    date: dt.date = Field(description="Die Löschung ist zu diesem Tag vorgemerkt")


class OrderAccepted(Schema):
    code: str | None = Field(description="Code des Auftrags; null, wenn nur vorgemerkt wurde")
    status_url: str | None
    scheduled: list[ScheduledOut]


class HistoryOut(Schema):
    status: str
    note: str
    at: dt.datetime


class NumberOut(Schema):
    e164: str
    national: str


class ItemOut(Schema):
    kind: str
    workplace: str
    username: str
    name: str
    number: NumberOut | None
    package: str | None = Field(description="Code des Pakets nach der Position")
    outcome: str = Field(description="pending, done oder refused")
    reason: str


class OrderMessageOut(Schema):
    code: str
    kind: str
    channel: str
    recipient: str = Field(description="Empfänger, unkenntlich gemacht")
    status: str = Field(description="pending, sending, sent oder failed")
    sent_at: dt.datetime | None


class OrderOut(Schema):
    code: str
    number: str | None
    status: str = Field(description="received, processing, completed oder failed")
    created_at: dt.datetime
    monthly_net: str = Field(description="Änderung der Monatskosten in Euro, netto")
    monthly_gross: str
    history: list[HistoryOut]
    items: list[ItemOut]
    messages: list[OrderMessageOut]


class OrderPage(Schema):
    count: int
    page: int
    page_size: int
    pages: int
    items: list[OrderOut]


#: The service's fields that the API names differently.
API_FIELDS = {"without_mobile": "mobile", "auth_email_repeat": "auth_email"}


def _item(item: NewWorkplaceIn | PackageChangeIn | DeletionIn) -> services.Item:
    if isinstance(item, PackageChangeIn):
        return services.PackageChange(workplace=item.workplace, package=item.package)
    if isinstance(item, DeletionIn):
        return services.Deletion(workplace=item.workplace)
    return services.NewWorkplace(
        trunk=item.trunk,
        person={
            name: getattr(item, name)
            for name in ("first_name", "last_name", "street", "house_number", "postcode", "city")
        }
        | {"email": item.email},
        contacts={"auth_email": item.auth_email, "mobile": item.mobile or ""},
        username=item.username,
        number=item.number,
        package=item.package,
    )


def _entry(index: int, found: Found) -> dict:
    field = API_FIELDS.get(found.field, found.field)
    pointer = pointers.pointer("items", index, *(() if field == GENERAL else (field,)))
    return {**found.as_dict(), "field": field, "pointer": pointer}


def _place(request: HttpRequest, payload: OrderIn) -> HttpResponse:
    try:
        placed = services.order_items(
            actor=request.auth, items=[_item(item) for item in payload.items]
        )
    except services.ItemsRefused as refused:
        errors = [_entry(i, found) for i, refusal in refused.by_item for found in refusal.problems]
        detail = "Nichts wurde bestellt: Positionen wurden abgelehnt."
        return problem(request, 422, "Unprocessable Content", detail=detail, errors=errors)
    scheduled = [
        {"item": index, "workplace": payload.items[index].workplace, "date": date}
        for index, date in placed.scheduled.items()
    ]
    if placed.order is None:
        body = {"code": None, "status_url": None, "scheduled": scheduled}
        return api.create_response(request, body, status=200)
    url = request.build_absolute_uri(f"/api/v1/orders/{placed.order.code}")
    body = {"code": str(placed.order.code), "status_url": url, "scheduled": scheduled}
    response = api.create_response(request, body, status=202)
    response["Location"] = url
    return response


@api.post("/orders", response={200: OrderAccepted, 202: OrderAccepted, **POST_PROBLEMS}, tags=TAGS)
def create_order(
    request: HttpRequest, payload: OrderIn, idempotency_key: str = IDEMPOTENCY_KEY
) -> HttpResponse:
    """Bestellen wie "Kostenpflichtig bestellen": alle Positionen oder keine.

    Jede Position wird mit den Regeln des Assistenten bzw. der Verwaltung geprüft; Fehler
    kommen je Position und Feld mit JSON-Pointer (`/items/2/username`). Antwort 202 mit dem
    Code des Auftrags und seiner Status-Adresse (auch im `Location`-Header); 200 ohne
    Auftrag, wenn alle Positionen Löschungen waren, die zum Ende der Mindestlaufzeit
    vorgemerkt wurden.
    """
    return idempotent(request, idempotency_key, lambda: _place(request, payload))


def _orders():
    return Order.objects.prefetch_related(
        "history",
        "items__workplace__number",
        "items__package",
        "notifications",
    )


def _order_out(order: Order) -> dict:
    return {
        "code": str(order.code),
        "number": order.number,
        "status": order.status,
        "created_at": order.created_at,
        "monthly_net": str(order.monthly_net),
        "monthly_gross": str(order.monthly_gross),
        "history": [
            {"status": change.status, "note": change.note, "at": change.created_at}
            for change in order.history.all()
        ],
        "items": [_item_out(item) for item in order.items.all()],
        "messages": [_message_out(message) for message in order.notifications.all()],
    }


def _item_out(item: OrderItem) -> dict:
    workplace = item.workplace
    number = workplace.number
    return {
        "kind": item.kind,
        "workplace": str(workplace.code),
        "username": workplace.username,
        "name": workplace.full_name,
        "number": {"e164": number.e164, "national": number.national} if number else None,
        "package": item.package.code if item.package else None,
        "outcome": item.outcome,
        "reason": item.reason,
    }


def _message_out(message: Notification) -> dict:
    return {
        "code": str(message.code),
        "kind": message.kind,
        "channel": message.channel,
        "recipient": message.masked_recipient,
        "status": message.status,
        "sent_at": message.sent_at,
    }


@api.get("/orders", response={200: OrderPage, **PROBLEMS}, tags=TAGS)
def list_orders(request: HttpRequest, paging: Query[Paging]) -> dict:
    """Die Aufträge des Kunden, neueste zuerst (wie "Ihre Aufträge")."""
    page = paged(policy.visible(request.auth, _orders()).order_by("-created_at", "-id"), paging)
    page["items"] = [_order_out(order) for order in page["items"]]
    return page


@api.get("/orders/{code}", response={200: OrderOut, 404: Problem, **PROBLEMS}, tags=TAGS)
def get_order(request: HttpRequest, code: str) -> dict:
    """Ein Auftrag: Status, Verlauf, Positionen mit Ergebnis, Nachrichten und ihr Versand."""
    return _order_out(policy.find(request.auth, _orders(), code))
