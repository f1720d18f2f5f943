"""The SMS seam: ``SMS_BACKEND`` names a class with ``send(to, body) -> provider id``.

Backends raise :class:`TransientSmsError` when trying again later may help (timeouts, 429,
5xx) and :class:`PermanentSmsError` when it cannot (invalid number, configuration).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import uuid
from pathlib import Path

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class SmsError(Exception):
    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class TransientSmsError(SmsError):
    pass


class PermanentSmsError(SmsError):
    pass


class BaseSmsBackend:
    def send(self, to: str, body: str) -> str:
        raise NotImplementedError


class FileSmsBackend(BaseSmsBackend):
    """Development outbox: one JSON line per SMS in ``var/outbox/sms.jsonl``."""

    _lock = threading.Lock()

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path or settings.SMS_OUTBOX_FILE)

    def send(self, to: str, body: str) -> str:
        sid = f"DEV{uuid.uuid4().hex[:16]}"
        line = {"sid": sid, "to": to, "body": body, "at": timezone.now().isoformat()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        return sid


class LocmemSmsBackend(BaseSmsBackend):
    """Tests in one process: messages are kept in ``LocmemSmsBackend.outbox``."""

    outbox: list[dict] = []

    def send(self, to: str, body: str) -> str:
        sid = f"LOC{uuid.uuid4().hex[:16]}"
        self.outbox.append({"sid": sid, "to": to, "body": body})
        return sid


class TwilioSmsBackend(BaseSmsBackend):
    #: The client of each thread (by thread id) with the settings it was made with: its HTTP
    #: session keeps the connection to Twilio open from one SMS to the next (a new one costs
    #: a TCP and TLS handshake). A worker's pool process is one thread; ``os.getpid()`` in
    #: the key keeps a forked process off its parent's connection.
    _clients: dict[int, tuple[tuple, object]] = {}

    def __init__(self) -> None:
        key = (
            os.getpid(),
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            settings.TWILIO_TIMEOUT,
            settings.TWILIO_API_BASE_URL,
        )
        kept = self._clients.get(threading.get_ident())
        if kept is None or kept[0] != key:
            if kept is not None and kept[0][0] == os.getpid():
                kept[1].http_client.session.close()
            kept = self._clients[threading.get_ident()] = (key, self._new_client())
        self.client = kept[1]

    @classmethod
    def close_all(cls) -> None:
        """Close the kept clients' connections (when a worker or its pool process stops)."""
        for _thread, (key, client) in list(cls._clients.items()):
            if key[0] == os.getpid():
                client.http_client.session.close()
        cls._clients.clear()

    @staticmethod
    def _new_client():
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=settings.TWILIO_TIMEOUT),
        )
        if settings.TWILIO_API_BASE_URL:
            client.api.base_url = settings.TWILIO_API_BASE_URL
        return client

    def send(self, to: str, body: str) -> str:
        from twilio.base.exceptions import TwilioException

        try:
            message = self.client.messages.create(to=to, from_=settings.TWILIO_FROM, body=body)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientSmsError(f"Twilio not reachable: {type(exc).__name__}") from None
        except TwilioException as exc:
            status = getattr(exc, "status", None) or 0
            code = str(getattr(exc, "code", "") or "")
            text = f"Twilio {status} {code}: {getattr(exc, 'msg', exc)}"[:400]
            if status == 429 or status >= 500:
                raise TransientSmsError(text, code) from None
            raise PermanentSmsError(text, code) from None
        return message.sid


atexit.register(TwilioSmsBackend.close_all)  # a process that sent SMS outside a worker


def get_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()
