"""Structured logs that follow a request and an order (structlog and django-structlog).

Every line is an event with fields. The fields bound in the context (``request_id``,
``user_id``, ``ip`` of a request; ``task_id`` of a task; ``order_code`` of an order) are on
every line written while they are bound, whether by structlog or by the standard library's
loggers. django-structlog binds a request's fields and copies them into the header of each
task the request publishes, so a worker's lines of that task carry them too.

An outbox row (a message, a registrar job, a webhook delivery) remembers the ``request_id`` and
``order_code`` bound when it was written (:class:`portal.outbox.OutboxRow`); whoever processes
it later, in another process, binds them again (:func:`bind_row`).

Never a secret: a URL with a token in its path is cut down before any line is written
(:func:`redact`); the rest is the callers' care (ids, codes and reasons, never passwords,
hashes, tokens or keys).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

import structlog

#: Context fields an outbox row keeps (its columns of the same name) and binds again.
ROW_FIELDS = ("request_id", "order_code")
#: Longest request id kept (the rows' column); a longer upstream one is not used.
REQUEST_ID_MAX = 64

#: Paths whose next segment is a secret: the link of an invitation as an admin and the
#: softphone's provisioning link of "Telefon einrichten". tests/portal/test_logs.py checks
#: these against the URLconf.
SECRET_PATH_PREFIXES = ("/einladung/", "/myportal/p/")
_SECRET_PATH = re.compile(
    "(" + "|".join(re.escape(p) for p in SECRET_PATH_PREFIXES) + r")[^/?#\s\"']+"
)
REDACTED = "[redacted]"


def redact_text(text: str) -> str:
    """``text`` with the secret segment of every secret path replaced."""
    return _SECRET_PATH.sub(r"\1" + REDACTED, text)


def redact(logger: Any, method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """A structlog processor: the secret segments of token links out of every text field
    (the ``request`` of django-structlog, Django's "Not Found: <path>", runserver's lines)."""
    for key, value in event_dict.items():
        if isinstance(value, str) and "/" in value:
            event_dict[key] = redact_text(value)
    return event_dict


def shared_processors() -> list:
    """What every line gets, from structlog or from the standard library: the bound context,
    the level, the logger's name, a UTC timestamp, and no token links."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]


def renderers(log_format: str, *, colors: bool = False) -> list:
    """The formatter's last steps: one JSON object per line, or a readable line."""
    if log_format == "json":
        return [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ]
    return [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        # A plain traceback: a rich one would show the frames' variables (session keys,
        # query parameters, passwords).
        structlog.dev.ConsoleRenderer(
            colors=colors, exception_formatter=structlog.dev.plain_traceback
        ),
    ]


def configure() -> None:
    """structlog's own loggers hand their events to the standard library's handlers."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)


# --- Context ---------------------------------------------------------------------------------


def current(name: str) -> str:
    """A bound context field as text ('' when unbound)."""
    value = structlog.contextvars.get_contextvars().get(name)
    return "" if value is None else str(value)


def current_request_id() -> str:
    """The default of an outbox row's ``request_id``: the request (or task) writing it."""
    return current("request_id")[:REQUEST_ID_MAX]


def current_order_code() -> str:
    """The default of an outbox row's ``order_code``: the order being placed or processed."""
    return current("order_code")


def bind_order(order: Any) -> None:
    """The order's code on every later line of this request or task."""
    structlog.contextvars.bind_contextvars(order_code=str(order.code))


#: The names of outbox rows' ids bound by :func:`bind_row` (``message_id`` …).
ROW_ID_FIELDS: set[str] = set()


def bind_row(row: Any, **fields: Any) -> None:
    """Bind again what an outbox row remembers of the request and order that wrote it, for
    the rest of the task processing it, with ``fields`` (the row's id, which a task published
    meanwhile does not inherit: see :func:`without_row_ids`)."""
    ROW_ID_FIELDS.update(fields)
    remembered = {name: getattr(row, name, "") for name in ROW_FIELDS}
    structlog.contextvars.bind_contextvars(
        **{name: value for name, value in remembered.items() if value}, **fields
    )


def snapshot() -> dict[str, Any]:
    return structlog.contextvars.get_contextvars()


def restore(context: Mapping[str, Any]) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(**context)


def bind(**fields: Any) -> None:
    structlog.contextvars.bind_contextvars(**fields)


def scoped[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """What ``func`` binds ends with it: the context is as before when it returns or raises
    (for a service that binds an order's code and is called in a loop, not only as a task)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        saved = snapshot()
        try:
            return func(*args, **kwargs)
        finally:
            restore(saved)

    return wrapper


def without_row_ids(context: dict[str, Any]) -> None:
    """A task published while a row is processed (the order waiting for a registrar job)
    takes the request and order along, not the row's id."""
    for name in ROW_ID_FIELDS:
        context.pop(name, None)
