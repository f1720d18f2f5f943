"""A real SIP registrar for the tests: Kamailio on PostgreSQL, and sipp as the SIP clients.

* ``kamailio`` (session): a fresh PostgreSQL database ``kamailio_test_<pid>`` with Debian's
  schema files loaded, and ``kamailio`` running ``deploy/kamailio/kamailio.cfg`` on a free
  loopback UDP port (JSON-RPC over HTTP on a free TCP port, a ctl socket for ``kamcmd``).
  Stopped by its PID and the database dropped at the end.
* ``registrar`` (per test): empty tables, no registered contacts, and the portal's settings
  pointed at this Kamailio (``PROVISIONING_BACKEND=kamailio``).
* ``sip``: sipp as the end user's client: ``register()``, ``answer()`` (a client waiting
  for a call) and ``call()``, each with sipp's exit code and the final SIP status.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from celery import signals

from tests.conftest import require_service, wait_for
from tests.notifications.conftest import (  # noqa: F401 - fixtures for the worker tests
    celery_worker,
    live_celery,
    redis_server,
    smtp_server,
    start_celery_worker,
    twilio_server,
)
from tests.provisioning.kamailio_server import (
    SCENARIOS,
    Kamailio,
    create_kamailio,
    drop_database,
    free_port,
    missing,
    postgres_answers,
    udp_bound,
)


@pytest.fixture(scope="session")
def kamailio(tmp_path_factory) -> Iterator[Kamailio]:
    absent = missing()
    if absent:
        require_service("kamailio", False, absent)
    if not postgres_answers():
        require_service("postgres", False, "Kamailio's test database needs it on 127.0.0.1:5432")
    database = f"kamailio_test_{os.getpid()}"
    server = None
    try:
        server = create_kamailio(database, tmp_path_factory.mktemp("kamailio"))
        server.start()
        yield server
    finally:
        if server is not None:
            server.stop()
        drop_database(database)


@pytest.fixture
def registrar(kamailio, settings) -> Kamailio:
    """An empty registrar, and the portal's settings pointed at it."""
    kamailio.reset()
    settings.PROVISIONING_BACKEND = "kamailio"
    settings.KAMAILIO_DATABASE_URL = kamailio.database_url
    settings.SIP_DOMAIN = kamailio.domain
    settings.KAMAILIO_RPC_URL = kamailio.rpc_url
    settings.KAMAILIO_TIMEOUT = 1
    return kamailio


def closed_url(registrar: Kamailio) -> str:
    """Kamailio's database URL on a port where nothing listens: the database is "down"."""
    return registrar.database_url.replace(":5432/", f":{free_port()}/")


@pytest.fixture
def started_tasks() -> Iterator[list]:
    """Name, arguments and keyword arguments of every task that starts meanwhile."""
    seen: list = []

    def record(sender=None, args=None, kwargs=None, **extra) -> None:
        seen.append((sender.name, list(args or ()), dict(kwargs or {})))

    signals.task_prerun.connect(record, weak=False, dispatch_uid="provisioning-task-args")
    yield seen
    signals.task_prerun.disconnect(dispatch_uid="provisioning-task-args")


# --- sipp ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SipResult:
    """sipp's exit code (0: the scenario ended as expected) and the last status it got."""

    code: int
    status: int | None

    @property
    def ok(self) -> bool:
        return self.code == 0


class Sip:
    """sipp runs as the end user's phone would, against the registrar of the test."""

    def __init__(self, kamailio: Kamailio, workdir: Path) -> None:
        self.kamailio = kamailio
        self.workdir = workdir
        self.runs = 0

    def _command(
        self, scenario: str, port: int, *args: str, source: str = "127.0.0.1"
    ) -> tuple[list[str], Path]:
        self.runs += 1
        trace = self.workdir / f"sipp-{self.runs}-{scenario}.log"
        command = ["sipp", "-sf", str(SCENARIOS / f"{scenario}.xml")]
        command += ["-i", source, "-p", str(port), "-m", "1", "-l", "1", "-nostdin"]
        command += ["-timeout", "10s", "-timeout_error", "-default_behaviors", "all,-bye"]
        command += ["-trace_msg", "-message_file", str(trace)]
        command += ["-key", "domain", self.kamailio.domain, *args]
        return command, trace

    def _run(self, command: list[str], trace: Path) -> SipResult:
        result = subprocess.run(command, capture_output=True, timeout=30)
        return SipResult(result.returncode, self.last_status(trace))

    @staticmethod
    def last_status(trace: Path) -> int | None:
        if not trace.exists():
            return None
        statuses = re.findall(r"^SIP/2\.0 (\d{3})", trace.read_text(errors="replace"), re.M)
        return int(statuses[-1]) if statuses else None

    def register(
        self,
        user: str,
        password: str,
        *,
        as_user: str | None = None,
        port: int | None = None,
        source: str = "127.0.0.1",
    ) -> SipResult:
        """REGISTER the address ``user`` with the credentials of ``as_user`` (default: user),
        sent from the loopback address ``source``."""
        command, trace = self._command(
            "register",
            port or free_port(socket.SOCK_DGRAM, source),
            *("-s", user, "-au", as_user or user, "-ap", password, "-key", "expires", "3600"),
            f"127.0.0.1:{self.kamailio.sip_port}",
            source=source,
        )
        return self._run(command, trace)

    def forged_invite(self, *, target: str, route: str, source: str) -> SipResult:
        """An unauthenticated INVITE from ``source`` with a forged To-tag and a Route header
        ``<sip:ROUTE;lr>``, to ``target`` (user@host:port)."""
        command, trace = self._command(
            "forged",
            free_port(socket.SOCK_DGRAM, source),
            *("-key", "target", target, "-key", "route", route),
            f"127.0.0.1:{self.kamailio.sip_port}",
            source=source,
        )
        return self._run(command, trace)

    @contextlib.contextmanager
    def answer(self, port: int, *, hang_up: bool = False) -> Iterator[Answering]:
        """A client on ``port`` that answers one call with 200 (and with ``hang_up`` ends it
        with its own BYE); its result when it ended."""
        command, trace = self._command("uas-hangup" if hang_up else "uas", port)
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        answering = Answering(process, trace)
        wait_for(lambda: udp_bound(port), timeout=5, what="the answering sipp to listen")
        try:
            yield answering
        finally:
            if process.poll() is None:
                process.terminate()
            process.wait(timeout=10)

    def call(
        self,
        number: str,
        *,
        caller: str,
        password: str,
        port: int | None = None,
        hung_up: bool = False,
        reinvite_to: str = "",
        source: str = "127.0.0.1",
    ) -> SipResult:
        """INVITE ``number`` as ``caller`` (authenticating with ``password``) from ``port`` on
        ``source``; the caller ends the call with BYE, or with ``hung_up`` waits for the
        callee's BYE. With ``reinvite_to`` (user@host:port) the caller first sends a re-INVITE
        there inside the call and expects 403."""
        scenario = "uac-hungup" if hung_up else "uac-hijack" if reinvite_to else "uac"
        target = ("-key", "target", reinvite_to) if reinvite_to else ()
        command, trace = self._command(
            scenario,
            port or free_port(socket.SOCK_DGRAM, source),
            *("-s", number, "-key", "caller", caller, "-au", caller, "-ap", password, *target),
            f"127.0.0.1:{self.kamailio.sip_port}",
            source=source,
        )
        return self._run(command, trace)


@dataclass
class Answering:
    process: subprocess.Popen
    trace: Path

    def result(self, timeout: float = 15) -> SipResult:
        code = self.process.wait(timeout=timeout)
        return SipResult(code, Sip.last_status(self.trace))

    def received(self) -> list[str]:
        """The request lines the client got."""
        text = self.trace.read_text(errors="replace") if self.trace.exists() else ""
        return re.findall(r"^([A-Z]+ sip:\S+) SIP/2\.0", text, re.M)


@pytest.fixture
def sip(registrar, tmp_path) -> Sip:
    return Sip(registrar, tmp_path)


class Listener:
    """A plain UDP socket that only collects what reaches it: a host a relay must not reach."""

    def __init__(self, host: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.setblocking(False)
        self.address = f"{host}:{self.sock.getsockname()[1]}"

    def received(self) -> list[bytes]:
        datagrams = []
        while True:
            try:
                datagrams.append(self.sock.recv(65535))
            except BlockingIOError:
                return datagrams


@pytest.fixture
def second_listener() -> Iterator[Listener]:
    listener = Listener("127.0.0.5")
    yield listener
    listener.sock.close()
