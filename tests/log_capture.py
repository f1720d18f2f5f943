"""The log lines as the portal writes them: every logger at DEBUG, rendered by the formatter of
the settings' LOGGING (JSON outside DEBUG), one parsed object per line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from django.conf import settings

#: Loggers LOG_LEVEL=DEBUG keeps higher (portal/settings_logging.py).
QUIET = (
    "django.db.backends",
    "django.template",
    "urllib3",
    "twilio.http_client",
    "celery.app.trace",
    "celery.worker.strategy",
)


class Captured:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict]:
        """Each line parsed; a line that is not one JSON object fails the test."""
        return [json.loads(line) for line in self.text.splitlines()]

    def events(self, event: str) -> list[dict]:
        return [line for line in self.lines() if line["event"] == event]


def structured_handler(stream: io.StringIO) -> logging.Handler:
    config = settings.LOGGING["formatters"]["structured"]
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=config["processors"], foreign_pre_chain=config["foreign_pre_chain"]
        )
    )
    return handler


@pytest.fixture
def log_lines(django_db_blocker) -> Iterator[Captured]:
    """Everything logged meanwhile, at DEBUG (as with LOG_LEVEL=DEBUG), from every logger."""
    from portal.celery import app

    # The first task a process runs imports every app's tasks, and Celery's Django fix-up
    # then runs django.setup() again, which configures the logging afresh (without us).
    with django_db_blocker.unblock():  # the fix-up's model checks ask the database
        app.loader.import_default_modules()
    stream = io.StringIO()
    handler = structured_handler(stream)
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level) for logger in loggers]
    silent = [logger for logger in loggers[1:] if not logger.propagate]
    for logger in loggers:
        # As LOG_LEVEL=DEBUG leaves them (portal/settings_logging.py).
        if logger.name not in QUIET:
            logger.setLevel(logging.DEBUG)
    for logger in [logging.getLogger(), *silent]:
        logger.addHandler(handler)
    structlog.contextvars.clear_contextvars()
    try:
        yield Captured(stream)
    finally:
        for logger in [logging.getLogger(), *silent]:
            logger.removeHandler(handler)
        for logger, level in saved:
            logger.setLevel(level)
        structlog.contextvars.clear_contextvars()
