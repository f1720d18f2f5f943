"""The Celery app. Tasks carry ids only; every task says what it is idempotent on."""

from __future__ import annotations

import logging
import os
import threading

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

log = logging.getLogger(__name__)

app = Celery("portal")
_tasks_import_lock = threading.Lock()
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.beat_schedule = {
    "expire-idle-drafts": {"task": "workplaces.tasks.expire_drafts", "schedule": 15 * 60},
    "purge-import-runs": {"task": "workplaces.tasks.purge_import_runs", "schedule": 3600},
    "sweep-import-runs": {"task": "workplaces.tasks.sweep_import_runs", "schedule": 60},
    "sweep-outbox": {"task": "notifications.tasks.sweep", "schedule": 60},
    "sweep-orders": {"task": "orders.tasks.sweep_orders", "schedule": 60},
    "carry-out-due-deletions": {"task": "orders.tasks.carry_out_due_deletions", "schedule": 3600},
    "sweep-registrar-jobs": {"task": "provisioning.tasks.sweep", "schedule": 60},
    "sweep-webhooks": {"task": "webhooks.tasks.sweep", "schedule": 60},
    "check-registrar": {"task": "provisioning.tasks.check_registrar", "schedule": 3600},
    "purge-idempotency-keys": {"task": "api.tasks.purge_idempotency_keys", "schedule": 3600},
}


def enqueue(task_name: str, *args: object) -> bool:
    """Hand a task to a worker by name; False (and a log line) when the broker is down.

    Services call their tasks by name, so a service module needs no import of the tasks
    module that wraps it. Whoever calls this has an outbox row or a status that a sweep looks
    at, so a lost publish is handed over again later. With no broker configured the task runs
    in-process (``task_always_eager``), as every task of the project does.
    """
    if task_name not in app.tasks:
        # The web process imports no tasks module by itself; this imports every app's
        # ``tasks`` (what autodiscovery does in a worker), so eager mode finds the task too.
        # Under the lock: another thread of a gthread worker may be half-way through it.
        with _tasks_import_lock:
            app.loader.import_default_modules()
    task = app.tasks[task_name]
    try:
        task.delay(*args)
    except Exception as exc:  # kombu raises OperationalError and friends
        log.warning("jobs: could not enqueue %s%s: %s", task_name, args, exc)
        return False
    return True
