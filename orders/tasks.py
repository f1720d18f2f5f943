from __future__ import annotations

from orders import services
from portal.celery import app


@app.task(acks_late=True)
def process_order(order_id: int) -> None:
    """Activate an order's workplaces. Idempotent on the order's status and each workplace's."""
    services.process_order(order_id)


@app.task
def sweep_orders() -> int:
    """Re-enqueue orders stuck in "received". Idempotent: processing checks the status."""
    return services.sweep_orders()


@app.task
def carry_out_due_deletions() -> int:
    """Delete workplaces whose scheduled cancellation date has come. Idempotent per workplace."""
    return services.carry_out_due_deletions()
