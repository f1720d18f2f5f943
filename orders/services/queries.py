"""Reads for other pages about orders."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from orders.models import Order


def orders_with_page(customer_id: int, codes: Collection[str]) -> set[str]:
    """Which of ``codes`` name an order of the customer (for links from the Protokoll)."""
    valid = []
    for code in codes:
        try:
            valid.append(uuid.UUID(code))
        except ValueError:
            continue
    found = Order.objects.filter(customer_id=customer_id, code__in=valid)
    return {str(code) for code in found.values_list("code", flat=True)}
