"""Real infrastructure for the outbox: Redis, Celery workers, SMTP and a Twilio stand-in.

Every server here is private to one test and listens on a free port of 127.0.0.1:

* ``redis_server``: a ``redis-server`` process the test can stop and start again;
* ``smtp_server``: aiosmtpd, told per test to accept, refuse (451), drop the connection,
  or hold a message until released;
* ``twilio_server``: answers ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` like
  Twilio's Messages API (201 with a message resource), or as scripted (500, 429, 400/21211,
  or no answer at all until the test ends);
* ``live_celery``: the project's Celery app and settings pointed at these servers, not eager;
* ``celery_worker`` / ``start_celery_worker``: a real worker of ``portal.celery.app`` in a
  thread of this process, so pytest sees its logs; ``worker_process`` starts
  ``celery -A portal worker`` as a process that a test can SIGKILL.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email
import email.policy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.utils import timezone

from tests.conftest import database_url, require_service, wait_for

BASE_DIR = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
TWILIO_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
TWILIO_AUTH_TOKEN = "test-auth-token-0123456789abcdef"
TWILIO_FROM = "+4922818123400"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Redis ---------------------------------------------------------------------------------


class RedisServer:
    """A private ``redis-server``; ``stop()`` and ``start()`` keep the port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--maxmemory-policy",
                "noeviction",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=10, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except Exception:  # not up yet
            return False

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=5)

    def queued(self) -> int:
        """Messages waiting in a queue plus messages a worker holds without an ack."""
        client = self.client()
        waiting = sum(
            client.llen(key) for key in client.keys("celery*") if client.type(key) == b"list"
        )
        return waiting + client.hlen("unacked")


class RedisMonitor:
    """Everything Redis is asked to do, as ``MONITOR`` reports it: the broker's wire view."""

    def __init__(self, server: RedisServer) -> None:
        self.commands: list[str] = []
        self._monitor = server.client().monitor()
        self._monitor.__enter__()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        try:
            for command in self._monitor.listen():
                self.commands.append(command["command"])
        except Exception:  # the server stopped or the monitor was closed
            return

    def texts(self) -> list[str]:
        """Each command as sent, plus every base64 token in it decoded (kombu's bodies)."""
        texts = []
        for command in list(self.commands):
            texts.append(command)
            for token in re.findall(r"[A-Za-z0-9+/]{16,}={0,2}", command):
                try:
                    texts.append(base64.b64decode(token + "=" * (-len(token) % 4)).decode())
                except ValueError:
                    continue
        return texts

    def close(self) -> None:
        with contextlib.suppress(Exception):  # already gone with the server
            self._monitor.__exit__(None, None, None)
        self._thread.join(timeout=5)


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    if not Path(REDIS_SERVER).exists():
        require_service("redis", False, "redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


# --- SMTP ----------------------------------------------------------------------------------


class SmtpHandler:
    """aiosmtpd handler. ``mode``: accept, refuse (451), close (drop), block (hold)."""

    def __init__(self) -> None:
        self.mode = "accept"
        self.messages: list[email.message.EmailMessage] = []
        self.refused = 0
        self.closed = 0
        self.blocked = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.mode == "refuse":
            self.refused += 1
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        if self.mode == "close":
            self.closed += 1
            server.transport.abort()
            return "421 4.3.0 Closing connection"
        if self.mode == "block":
            self.blocked.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            # The sender is gone by now; it never heard a 250, so the message is not taken.
            return "451 4.3.0 Aborted"
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        return "250 2.0.0 OK"


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.handler = SmtpHandler()
        self._controller = None

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return self.handler.messages

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.handler.release.set()
    server.stop()


def text_of(message: email.message.EmailMessage) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return text.replace("\r\n", "\n")


# --- Twilio --------------------------------------------------------------------------------


def twilio_error(status: int, code: int, message: str) -> tuple[int, dict]:
    """An error body as Twilio's 2010-04-01 API sends it."""
    more_info = f"https://www.twilio.com/docs/errors/{code}"
    return status, {"code": code, "message": message, "more_info": more_info, "status": status}


TWILIO_500 = twilio_error(500, 20500, "An internal server error has occurred")
TWILIO_429 = twilio_error(429, 20429, "Too Many Requests")
TWILIO_INVALID_TO = twilio_error(
    400, 21211, "The 'To' number +491701234567 is not a valid phone number."
)
#: Scripted as an answer: the request is read, then held without a reply until the test ends.
TWILIO_NO_ANSWER = (None, {})


class TwilioServer(ThreadingHTTPServer):
    """Twilio's ``CreateMessage`` (twilio_api_v2010.json): 201 and a message resource.

    ``answer(*responses)`` scripts the next answers as ``(status, body)``; after the script,
    every valid request is created. ``requests`` keeps each request with the status it got.
    """

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _TwilioHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.script: deque[tuple[int | None, dict]] = deque()
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.released = threading.Event()

    def answer(self, *responses: tuple[int | None, dict]) -> None:
        self.script.extend(responses)

    @property
    def created(self) -> list[dict]:
        """The messages Twilio took (answered 201)."""
        return [r for r in self.requests if r["status"] == 201]


class _TwilioHandler(BaseHTTPRequestHandler):
    server: TwilioServer
    path_re = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages\.json$")

    def log_message(self, format, *args) -> None:
        """Quiet: the requests are kept in ``requests``."""

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        match = self.path_re.match(self.path)
        expected_auth = "Basic " + base64.b64encode(
            f"{TWILIO_ACCOUNT_SID}:{TWILIO_AUTH_TOKEN}".encode()
        ).decode("ascii")
        with self.server.lock:
            if not match or match.group(1) != TWILIO_ACCOUNT_SID:
                status, body = twilio_error(404, 20404, "The requested resource was not found")
            elif self.headers.get("Authorization") != expected_auth:
                status, body = twilio_error(401, 20003, "Authenticate")
            elif (
                not self.headers.get("Content-Type", "").startswith(
                    "application/x-www-form-urlencoded"
                )
                or not {"To", "From", "Body"} <= form.keys()
            ):
                status, body = twilio_error(400, 21604, "A 'To' phone number is required.")
            elif self.server.script:
                status, body = self.server.script.popleft()
            else:
                status, body = 201, self._message(form)
            self.server.requests.append({**form, "status": status, "sid": body.get("sid")})
        if status is None:  # TWILIO_NO_ANSWER: the client's read times out
            self.server.released.wait(timeout=60)
            return
        self._reply(status, body)

    def _message(self, form: dict) -> dict:
        sid = "SM" + uuid.uuid4().hex
        now = format_datetime(timezone.now())
        uri = f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages/{sid}"
        return {
            "account_sid": TWILIO_ACCOUNT_SID,
            "api_version": "2010-04-01",
            "body": form["Body"],
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form["From"],
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": None,
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": form["To"],
            "uri": f"{uri}.json",
        }


@pytest.fixture
def twilio_server() -> Iterator[TwilioServer]:
    server = TwilioServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.released.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


# --- Celery --------------------------------------------------------------------------------


def _leave_logging_alone(**kwargs) -> None:
    """A ``setup_logging`` receiver: Celery then keeps its hands off the root logger, so
    the worker's records reach pytest's handlers (and ``caplog``) like any other."""


def _close_worker_connections(**kwargs) -> None:
    """Run in the worker thread after each task: no connection outlives the test."""
    connections.close_all()


def _reset_broker_connections(app) -> None:
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


class Published:
    """What was handed to the broker, captured by ``before_task_publish``."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    def __call__(self, sender=None, body=None, headers=None, **kwargs) -> None:
        self.messages.append(
            {"task": sender, "at": timezone.now(), "headers": dict(headers), "body": body}
        )

    def of(self, task: str) -> list[dict]:
        return [m for m in self.messages if m["task"] == task]


class Ran(list):
    """``(task name, task id)`` of each task a worker of this process started."""

    def __call__(self, sender=None, task_id=None, **kwargs) -> None:
        self.append((sender.name, task_id))


RESTORED = ("broker_url", "task_always_eager", "broker_transport_options")


@pytest.fixture
def live_celery(settings, redis_server, smtp_server, twilio_server):
    """The project's Celery app on the private Redis; mail and SMS to the local servers."""
    from celery import signals

    from portal.celery import app

    # Read what to restore before the settings change: the app loads its configuration from
    # the Django settings lazily, on first use, and must not pick up this test's values.
    restore = {key: app.conf[key] for key in RESTORED}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_server.url
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp_server.port, "timeout": 5},
        }
    }
    settings.SMS_BACKEND = "notifications.sms.TwilioSmsBackend"
    settings.TWILIO_ACCOUNT_SID = TWILIO_ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = TWILIO_AUTH_TOKEN
    settings.TWILIO_FROM = TWILIO_FROM
    settings.TWILIO_API_BASE_URL = twilio_server.url
    settings.TWILIO_TIMEOUT = 5
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 0.2
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 2

    # The app read its configuration from the settings when it was first used.
    overrides = {
        "broker_url": redis_server.url,
        "task_always_eager": False,
        "broker_transport_options": dict(django_settings.CELERY_BROKER_TRANSPORT_OPTIONS),
    }
    app.conf.update(overrides)
    _reset_broker_connections(app)
    published, ran = Published(), Ran()
    signals.before_task_publish.connect(published, dispatch_uid="outbox-tests-published")
    signals.setup_logging.connect(_leave_logging_alone, dispatch_uid="outbox-tests-logging")
    signals.task_prerun.connect(ran, dispatch_uid="outbox-tests-ran")
    signals.task_postrun.connect(_close_worker_connections, dispatch_uid="outbox-tests-db")
    app.published, app.ran = published, ran
    yield app
    signals.task_postrun.disconnect(dispatch_uid="outbox-tests-db")
    signals.task_prerun.disconnect(dispatch_uid="outbox-tests-ran")
    signals.setup_logging.disconnect(dispatch_uid="outbox-tests-logging")
    signals.before_task_publish.disconnect(dispatch_uid="outbox-tests-published")
    del app.published, app.ran
    app.conf.update(restore)
    _reset_broker_connections(app)


@pytest.fixture
def start_celery_worker(live_celery, transactional_db):
    """``with start_celery_worker(**broker_transport_options):`` a worker in a thread.

    The worker runs the real consumer on Redis with the solo pool. It needs
    ``transactional_db``: its thread has its own database connection and must see commits.
    """
    from celery.contrib.testing.worker import start_worker

    app = live_celery
    base_options = dict(app.conf.broker_transport_options)

    @contextmanager
    def start(**transport_options):
        app.conf.broker_transport_options = {**base_options, **transport_options}
        try:
            with start_worker(
                app, pool="solo", perform_ping_check=False, shutdown_timeout=20
            ) as worker:
                yield worker
        finally:
            app.conf.broker_transport_options = base_options

    return start


@pytest.fixture
def celery_worker(start_celery_worker):
    with start_celery_worker() as worker:
        yield worker


def wait_idle(redis_server: RedisServer, *, timeout: float = 20) -> None:
    """Wait until no message is queued or held and the worker runs nothing, twice in a row."""
    from celery.worker import state

    def idle_now() -> bool:
        return redis_server.queued() == 0 and not state.active_requests

    def idle() -> bool:
        if not idle_now():
            return False
        time.sleep(0.1)
        return idle_now()

    wait_for(idle, timeout=timeout, what="the worker to finish everything queued")


class WorkerProcess:
    def __init__(self, process: subprocess.Popen, log: Path) -> None:
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def worker_process(live_celery, redis_server, smtp_server, tmp_path, transactional_db):
    """``worker_process()`` starts ``celery -A portal worker`` on the test database."""
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_server.url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_server.port),
            "SMTP_TLS": "false",
            "SMTP_TIMEOUT": "5",
        }
        log = tmp_path / f"worker-{len(started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo"),
                    *("--without-mingle", "--without-gossip", "--without-heartbeat"),
                    *("--loglevel=INFO", f"--hostname=killable-{len(started)}@%h"),
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append(WorkerProcess(process, log))
        return started[-1]

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.kill()


@pytest.fixture
def redis_monitor(redis_server) -> Iterator[RedisMonitor]:
    monitor = RedisMonitor(redis_server)
    yield monitor
    monitor.close()
