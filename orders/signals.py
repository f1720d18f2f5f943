"""What the orders app tells the layers above it, without importing them.

``order_status_changed`` is sent inside the transaction that records an order's status (its
placing, and each transition), so a receiver's writes commit or roll back with it. Keyword
arguments: ``order`` (the order, already in its new status), ``old_status`` (None when the
order was just placed), ``new_status`` and ``changed_at``.
"""

from __future__ import annotations

from django.dispatch import Signal

order_status_changed = Signal()
