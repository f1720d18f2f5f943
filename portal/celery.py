"""The Celery app. Tasks carry ids only; every task says what it is idempotent on."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.beat_schedule = {
    "expire-idle-drafts": {"task": "workplaces.tasks.expire_drafts", "schedule": 15 * 60},
    "sweep-outbox": {"task": "notifications.tasks.sweep", "schedule": 60},
    "sweep-orders": {"task": "orders.tasks.sweep_orders", "schedule": 60},
    "carry-out-due-deletions": {"task": "orders.tasks.carry_out_due_deletions", "schedule": 3600},
    "sweep-registrar-jobs": {"task": "provisioning.tasks.sweep", "schedule": 60},
    "check-registrar": {"task": "provisioning.tasks.check_registrar", "schedule": 3600},
}
