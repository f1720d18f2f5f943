"""The Celery app. Tasks carry ids only; every task says what it is idempotent on."""

from __future__ import annotations

import os
import threading

from celery import Celery, bootsteps, signals
from django.db import close_old_connections
from django.dispatch import receiver
from django_structlog.celery import signals as structlog_signals
from django_structlog.celery.receivers import CeleryReceiver

from portal import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

log = logs.get_logger(__name__)

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


@signals.task_prerun.connect(dispatch_uid="portal-database-connections")
def _connections_as_for_a_request(sender=None, **kwargs: object) -> None:
    """Before a task in a worker: what Django does before a request. A connection past
    ``CONN_MAX_AGE`` or broken is closed, a kept one is checked at its first use; so tasks
    share a connection (``CELERY_DB_REUSE_MAX`` keeps Celery from closing it after each one)
    without one that died. Not for an eager task: it runs inside its caller's transaction."""
    if sender is not None and not getattr(sender.request, "is_eager", False):
        close_old_connections()


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
        # Tasks carry ids only (see the module's docstring): nothing secret in ``args``.
        log.warning("task_enqueue_failed", task=task_name, task_args=list(args), error=str(exc))
        return False
    return True


# --- Logs ------------------------------------------------------------------------------------


class _WorkerLogReceiver(CeleryReceiver):
    """django-structlog's worker side: a task's lines carry the context its publisher had
    (request_id, user_id, ip, order_code) and its own ``task_id``; it logs task_started,
    task_succeeded, task_failed, task_retrying. In-process (eager) tasks are left to
    :func:`_eager_task_started`: they go on with their caller's context."""

    def receiver_task_prerun(self, task_id: str, task, *args, **kwargs) -> None:
        if not task.request.is_eager:
            super().receiver_task_prerun(task_id, task, *args, **kwargs)


_worker_log_receiver = _WorkerLogReceiver()


class StructLogStep(bootsteps.Step):
    """The worker's boot step (django-structlog's ``DjangoStructLogInitStep``, with the
    receiver above); connecting twice in one process connects once."""

    def __init__(self, parent, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        _worker_log_receiver.connect_worker_signals()


app.steps["worker"].add(StructLogStep)


@signals.setup_logging.connect
def _keep_django_logging(**kwargs) -> None:
    """Celery leaves the logging alone that Django set up from LOGGING (a receiver of this
    signal is enough): the worker's lines are structured like the web's. Its ``--loglevel``
    does not apply; LOG_LEVEL does."""


@receiver(structlog_signals.modify_context_before_task_publish)
def _publish_without_row_ids(sender=None, context=None, **kwargs) -> None:
    if context is not None:
        logs.without_row_ids(context)


@signals.task_prerun.connect
def _eager_task_started(task_id=None, task=None, **kwargs) -> None:
    """An in-process task runs within its caller's context (the request's id stays) with its
    own ``task_id``; what it binds (an outbox row's request) ends with it."""
    if task is not None and task.request.is_eager:
        task.request.portal_log_context = logs.snapshot()
        logs.bind(task_id=task_id)


@signals.task_postrun.connect
def _eager_task_finished(task=None, **kwargs) -> None:
    saved = getattr(task.request, "portal_log_context", None) if task is not None else None
    if saved is not None:
        logs.restore(saved)
