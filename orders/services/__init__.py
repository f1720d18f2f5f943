"""Ordering: the cart, "Kostenpflichtig bestellen" exactly once, and order processing.

The modules, one concern each: :mod:`.cart` (what waits to be ordered), :mod:`.placing`
(the cart becomes an order), :mod:`.batch` (several items as one order, for the API),
:mod:`.deletions` (a workplace deleted by order or at the end of its term),
:mod:`.processing` (a worker carries the order out and writes its messages), :mod:`.queries`
(reads for other pages). Callers import from here.
"""

from orders.services.batch import (
    Deletion,
    Item,
    ItemsRefused,
    NewWorkplace,
    PackageChange,
    Placed,
    order_items,
)
from orders.services.cart import (
    LINES_PER_PAGE,
    CartLine,
    CartView,
    ChangeLine,
    add_package_change,
    cart_changes,
    cart_drafts,
    cart_of,
    pending_change_refusal,
    remove_change,
    view_cart,
)
from orders.services.deletions import carry_out_due_deletions, decide_deletion, order_deletion
from orders.services.placing import place_order
from orders.services.processing import enqueue_processing, process_order, sweep_orders
from orders.services.queries import (
    ITEMS_PER_PAGE,
    MESSAGES_PER_PAGE,
    OrderItems,
    OrderMessages,
    Progress,
    order_items_page,
    order_messages_page,
    orders_with_page,
)

__all__ = [
    "ITEMS_PER_PAGE",
    "LINES_PER_PAGE",
    "MESSAGES_PER_PAGE",
    "CartLine",
    "CartView",
    "ChangeLine",
    "Deletion",
    "Item",
    "ItemsRefused",
    "NewWorkplace",
    "OrderItems",
    "OrderMessages",
    "PackageChange",
    "Placed",
    "Progress",
    "add_package_change",
    "carry_out_due_deletions",
    "cart_changes",
    "cart_drafts",
    "cart_of",
    "decide_deletion",
    "enqueue_processing",
    "order_deletion",
    "order_items",
    "order_items_page",
    "order_messages_page",
    "orders_with_page",
    "pending_change_refusal",
    "place_order",
    "process_order",
    "remove_change",
    "sweep_orders",
    "view_cart",
]
