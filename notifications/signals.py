"""What the message outbox tells the layers above it, without importing them.

``message_delivery_recorded`` is sent inside the transaction that records a message's final
result (sent, or failed for good), so a receiver's writes commit or roll back with it.
Keyword argument: ``notification`` (the row, with its new ``status``).
"""

from __future__ import annotations

from django.dispatch import Signal

message_delivery_recorded = Signal()
