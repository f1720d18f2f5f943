from __future__ import annotations

from django.http import HttpRequest

from orders.models import Order
from portal.access import get_scoped


def get_order_for(request: HttpRequest, code: object) -> Order:
    return get_scoped(Order.objects.select_related("placed_by"), request, code)
