"""A real HTTP receiver on 127.0.0.1 that answers as each test scripts it, and records what
it was sent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from portal.policy import Actor

# The real Redis and Celery worker of the message outbox's tests, for test_worker.py.
from tests.notifications.conftest import (  # noqa: F401
    celery_worker,
    live_celery,
    redis_server,
    smtp_server,
    start_celery_worker,
    twilio_server,
)
from webhooks import services
from webhooks.models import WebhookEndpoint


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """``answers``: the status codes to give, in turn (then 200); ``received``: the POSTs."""

    url: str
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def events(self, event_type: str | None = None) -> list[dict]:
        events = [r.event for r in self.received]
        return [e for e in events if event_type in (None, e["type"])]


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.WEBHOOKS_ALLOW_HTTP_LOOPBACK = True


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            with lock:
                state.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status = state.answers.pop(0) if state.answers else 200
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def endpoint_and_secret(alice, receiver) -> tuple[WebhookEndpoint, str]:
    return services.create_endpoint(actor=Actor.for_admin(alice), url=receiver.url)


def expected_signature(secret: str, received: Received) -> str:
    """Standard Webhooks' signature, computed here from its definition."""
    key = base64.b64decode(secret[len("whsec_") :])
    content = f"{received.headers['webhook-id']}.{received.headers['webhook-timestamp']}."
    digest = hmac.new(key, (content + received.body).encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()
