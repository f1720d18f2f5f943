"""The delivery's SMTP connection, kept open from one e-mail to the next.

``EmailMessage.send()`` opens a connection to the mail server for each e-mail (TCP, EHLO,
with ``SMTP_TLS`` a TLS handshake, and login) and closes it again. The outbox sends one
e-mail after another, so :func:`send` keeps the SMTP mailer of ``MAILERS["default"]`` open,
one per thread (a worker's pool process is one):

* a connection idle for :data:`IDLE_SECONDS` or more is checked with ``NOOP`` before it is
  used again, and replaced when the server has dropped it;
* a send that fails closes the connection, so that the next attempt starts on a new one; the
  error is raised as before, so what is transient or permanent, and the retries, stay the
  outbox's (one attempt sends the message at most once).

Other backends (files in development, memory in tests) are used as Django does, a new
instance per message.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import smtplib
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

#: Seconds after which a kept connection is checked before it is used again. Mail servers
#: drop idle clients after minutes (RFC 5321 asks for at least five), not seconds.
IDLE_SECONDS = 10.0


@dataclass
class _Kept:
    key: tuple
    backend: SmtpBackend | None  # None: not SMTP, a new instance per message
    used_at: float


#: The kept connection of each thread, by thread id (so that :func:`close_all` finds them).
_kept: dict[int, _Kept] = {}


def send(message: EmailMessage) -> None:
    """Send ``message`` through the default mailer; over a kept connection if it is SMTP."""
    kept = _kept_connection()
    if kept.backend is None:
        message.send()
        return
    try:
        kept.backend.open()  # opened here, send_messages leaves it open
        kept.backend.send_messages([message])
    except BaseException:
        close()
        raise
    kept.used_at = time.monotonic()


def close(thread: int | None = None) -> None:
    """Close this thread's kept connection (or ``thread``'s), if any; quietly, as it may be
    gone already. A parent's connection, inherited by a fork, is dropped but not closed."""
    kept = _kept.pop(threading.get_ident() if thread is None else thread, None)
    if kept is not None and kept.backend is not None and kept.key[0] == os.getpid():
        with contextlib.suppress(Exception):
            kept.backend.close()


def close_all() -> None:
    """Close every thread's kept connection (when a worker or its pool process stops)."""
    for thread in list(_kept):
        close(thread)


atexit.register(close_all)  # a process that sent e-mails outside a worker (eager, tests)


def _kept_connection() -> _Kept:
    config = getattr(settings, "MAILERS", {}).get("default", {})
    key = (os.getpid(), repr(config))
    kept = _kept.get(threading.get_ident())
    if kept is not None and (kept.key != key or not _usable(kept)):
        close()
        kept = None
    if kept is None:
        backend = mail.mailers.default
        kept = _Kept(key, backend if isinstance(backend, SmtpBackend) else None, time.monotonic())
        _kept[threading.get_ident()] = kept
    return kept


def _usable(kept: _Kept) -> bool:
    smtp = kept.backend.connection if kept.backend is not None else None
    if smtp is None or time.monotonic() - kept.used_at < IDLE_SECONDS:
        return True
    try:
        return smtp.noop()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False
