from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notifications import services as notification_services
from orders import services
from orders.access import get_order_for
from orders.models import Order
from portal import policy
from portal.access import (
    actor_of,
    changes_required,
    customer_admin_required,
    customer_of,
    get_scoped,
)
from portal.errors import Refusal
from provisioning import services as provisioning
from workplaces.access import get_draft_for
from workplaces.services import quota, setup

ORDERS_PER_PAGE = 20
LATEST_ORDERS = 5
#: The order page's two lists page on their own: its items with ``page``, its messages with
#: ``messages_page``.
ORDER_PAGE_PARAMS = ("page", "messages_page")


@changes_required
def cart(request: HttpRequest) -> HttpResponse:
    view = services.view_cart(request.user, request.GET.get("page"))
    return render(request, "orders/cart.html", {"cart": view, "page": view.page})


def _back_to_cart(request: HttpRequest) -> HttpResponse:
    """The cart's page the removal was sent from; a page that became empty shows the last."""
    page = request.POST.get("page", "")
    if page.isdigit() and int(page) > 1:
        return redirect(f"{reverse('orders:cart')}?page={page}")
    return redirect("orders:cart")


@require_POST
@changes_required
def remove(request: HttpRequest, code: str) -> HttpResponse:
    draft = get_draft_for(request, code)
    setup.release_draft(actor=actor_of(request), draft=draft)
    messages.success(request, _("Der Arbeitsplatz wurde aus dem Warenkorb entfernt."))
    return _back_to_cart(request)


@require_POST
@changes_required
def remove_change(request: HttpRequest, code: str) -> HttpResponse:
    change = get_scoped(services.cart_changes(request.user), request, code)
    services.remove_change(actor=actor_of(request), change=change)
    messages.success(request, _("Der Paketwechsel wurde aus dem Warenkorb entfernt."))
    return _back_to_cart(request)


@require_POST
@changes_required
def place(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("token", "")
    try:
        order = services.place_order(
            actor=actor_of(request), token=token, language=request.LANGUAGE_CODE
        )
    except Refusal as error:
        messages.error(request, error.message)
        return redirect("orders:cart")
    return redirect("orders:detail", order.code)


def _orders_of(request: HttpRequest):
    orders = Order.objects.filter(customer=customer_of(request)).select_related("placed_by")
    return policy.visible(actor_of(request), orders)


@customer_admin_required
def status(request: HttpRequest) -> HttpResponse:
    """Kontingente & Auftragsstatus: quotas per trunk, then the latest of "Ihre Aufträge"."""
    context = {
        "trunks": quota.trunk_overview(customer_of(request), actor=actor_of(request)),
        "latest": _orders_of(request)[:LATEST_ORDERS],
    }
    return render(request, "orders/status.html", context)


@customer_admin_required
def order_list(request: HttpRequest) -> HttpResponse:
    """Ihre Aufträge."""
    page = Paginator(_orders_of(request), ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "orders/list.html", {"page": page})


@customer_admin_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    order = get_order_for(request, code)
    items = services.order_items_page(order, request.GET.get("page"))
    notifications = services.order_messages_page(order, request.GET.get("messages_page"))
    messages_ahead = notifications.ahead > 0
    context = {
        "order": order,
        "page": items.page,
        "progress": items.progress(notifications),
        # "So geht es weiter", while some of it is still ahead (not after a failure).
        "next_steps": order.in_progress or messages_ahead,
        "messages_ahead": messages_ahead,
        "new_workplaces": items.workplaces > 0,
        "some_without_mobile": items.some_without_mobile,
        "package_changed": items.package_changed,
        "changes": items.changes,
        # Per workplace, how far the SIP registrar is (only when one is connected).
        "registrar": provisioning.is_connected(),
        "history": order.history.all(),
        "messages_page": notifications.page,
        # The refresh, "Jetzt aktualisieren" and "Erneut senden" keep both pages shown.
        "this_page_query": _pages_query(
            {"page": items.page.number, "messages_page": notifications.page.number}
        ),
        # Keep refreshing while messages are on their way, too.
        "refresh": order.in_progress or messages_ahead,
    }
    template = "orders/detail.html#order-state" if request.htmx else "orders/detail.html"
    return render(request, template, context)


def _pages_query(numbers: dict[str, object]) -> str:
    """``?page=2&messages_page=3`` for the order page's pages beyond the first ("" for none)."""
    params = {name: numbers[name] for name in ORDER_PAGE_PARAMS if str(numbers.get(name, 1)) != "1"}
    return f"?{urlencode(params)}" if params else ""


@require_POST
@changes_required
def resend(request: HttpRequest, code: str, notification_code: str) -> HttpResponse:
    """ "Erneut senden" for a message that failed for good; back to the pages it was sent from."""
    order = get_order_for(request, code)
    notification = get_scoped(order.notifications.all(), request, notification_code)
    if notification_services.resend(notification):
        messages.success(request, _("Die Nachricht wird erneut gesendet."))
    shown = {name: request.GET.get(name, "") for name in ORDER_PAGE_PARAMS}
    numbers = {name: number for name, number in shown.items() if number.isdecimal()}
    return redirect(reverse("orders:detail", args=[order.code]) + _pages_query(numbers))
