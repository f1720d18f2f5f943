"""Settings of the logs, read from the environment: structured lines on standard error.

``LOG_FORMAT``: ``json`` (one JSON object per line, the default outside DEBUG) or ``console``
(readable lines, the default with DEBUG). ``LOG_LEVEL``: the lowest level written (INFO).
``LOG_TRUST_REQUEST_ID``: take a request's id from the ``X-Request-ID`` of a trusted proxy
(see :mod:`portal.logs_http`). ``portal.settings`` takes these names as they are.
"""

from __future__ import annotations

import logging
import sys

import structlog
from django.core.exceptions import ImproperlyConfigured

from portal import logs
from portal.env import env_bool, env_str

LOG_FORMATS = ("json", "console")


def logging_settings(*, debug: bool) -> dict[str, object]:
    """LOGGING (configured by Django at start-up), the LOG_* values and django-structlog's."""
    level = (env_str("LOG_LEVEL") or "INFO").upper()
    if not isinstance(logging.getLevelName(level), int):
        raise ImproperlyConfigured(
            f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {level!r}."
        )
    log_format = (env_str("LOG_FORMAT") or ("console" if debug else "json")).lower()
    if log_format not in LOG_FORMATS:
        raise ImproperlyConfigured(f"LOG_FORMAT must be json or console, not {log_format!r}.")
    logs.configure()
    quiet = max(logging.getLevelName(level), logging.INFO)
    warnings = max(logging.getLevelName(level), logging.WARNING)
    colors = log_format == "console" and sys.stderr.isatty()
    return {
        "LOG_LEVEL": level,
        "LOG_FORMAT": log_format,
        "LOG_TRUST_REQUEST_ID": env_bool("LOG_TRUST_REQUEST_ID", False),
        # The request id travels into the tasks a request publishes (the worker's side is
        # the boot step in portal/celery.py); the client's address is bound by
        # portal.logs_http, not guessed from headers; the proxy's X-Request-ID likewise.
        "DJANGO_STRUCTLOG_CELERY_ENABLED": True,
        "DJANGO_STRUCTLOG_IP_LOGGING_ENABLED": False,
        "DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID": False,
        # user_id once a request loads its user (portal.logs_http), not by loading it always.
        "DJANGO_STRUCTLOG_USER_ID_FIELD": None,
        # One line per request at INFO: request_finished (with duration_ms).
        "DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL": logging.DEBUG,
        "LOGGING": {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "structured": {
                    "()": structlog.stdlib.ProcessorFormatter,
                    "processors": logs.renderers(log_format, colors=colors),
                    "foreign_pre_chain": logs.shared_processors(),
                }
            },
            "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "structured"}},
            "root": {"handlers": ["stderr"], "level": level},
            "loggers": {
                # Django's own handlers go: its records reach the one handler above.
                "django": {"handlers": [], "level": level, "propagate": True},
                "django.server": {"handlers": [], "level": level, "propagate": True},
                # Their DEBUG lines hold secrets: SQL with its parameters (password hashes),
                # a template's whole context (the CSRF token, a phone-setup link).
                "django.db.backends": {"level": quiet},
                "django.template": {"level": quiet},
                # The URL of each request, with a customer's webhook query (its own token?).
                "urllib3": {"level": quiet},
                # Ten INFO lines per SMS (its request and answer); message_sent says it.
                "twilio.http_client": {"level": warnings},
                # A worker's "Task … received" and "… succeeded" of every task: django-structlog's
                # task_started and task_succeeded say it with the request's id.
                "celery.app.trace": {"level": warnings},
                "celery.worker.strategy": {"level": warnings},
            },
        },
    }
