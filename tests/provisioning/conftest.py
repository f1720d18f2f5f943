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
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
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

BASE_DIR = Path(__file__).resolve().parents[2]
CONFIG = BASE_DIR / "deploy" / "kamailio" / "kamailio.cfg"
SCENARIOS = Path(__file__).resolve().parent / "sipp"
# What ``ul.dump`` says of a contact that lookup no longer finds.
DEAD = {"deleted", "expired"}
SCHEMA_DIR = Path("/usr/share/kamailio/postgres")
SCHEMA_FILES = ["standard", "auth_db", "usrloc", "alias_db"]
MODULE_DIR = Path("/usr/lib/x86_64-linux-gnu/kamailio/modules")
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
SIP_DOMAIN = "sip.portal-test.invalid"


def free_port(kind: int = socket.SOCK_STREAM, host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def udp_bound(port: int) -> bool:
    """Whether something listens on this loopback UDP port already."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _missing() -> str:
    """What is missing for these tests, or '' when everything is there."""
    for program in ("kamailio", "sipp", "kamcmd", "psql"):
        if shutil.which(program) is None:
            return f"{program} is not installed"
    if not (MODULE_DIR / "db_postgres.so").exists():
        return "kamailio-postgres-modules is not installed"
    if not all((SCHEMA_DIR / f"{name}-create.sql").exists() for name in SCHEMA_FILES):
        return f"the schema files are missing in {SCHEMA_DIR}"
    return ""


def _postgres_answers() -> bool:
    try:
        psycopg.connect(dbname="postgres", connect_timeout=3, **PG).close()
    except psycopg.OperationalError:
        return False
    return True


@dataclass
class Kamailio:
    """One running Kamailio and its database."""

    database: str
    database_url: str
    sip_port: int
    rpc_url: str
    ctl: str
    domain: str
    workdir: Path
    process: subprocess.Popen | None = None

    def sql(self, query: str, params: list | None = None) -> list[tuple]:
        """A statement on Kamailio's database, as an operator would run it."""
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            cursor = connection.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def kamcmd(self, *args: str) -> str:
        result = subprocess.run(
            ["kamcmd", "-s", f"unix:{self.ctl}", *args],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return result.stdout + result.stderr

    def contacts(self) -> dict[str, list[str]]:
        """Live contacts by AoR, as ``kamcmd ul.dump`` shows them (memory, not DB).

        A contact that ``ul.rm`` ended after it was written to the database stays in the dump
        as "Expires: deleted" until usrloc's next write; lookup never finds it, so it is left
        out here, as is one whose registration expired.
        """
        found: dict[str, list[str]] = {}
        for aor, contacts in self.dump().items():
            live = [address for address, expires in contacts if expires not in DEAD]
            if live:
                found[aor] = live
        return found

    def dump(self) -> dict[str, list[tuple[str, str]]]:
        """Every contact in memory by AoR, with what the dump says of its expiry."""
        found: dict[str, list[tuple[str, str]]] = {}
        aor = None
        for line in self.kamcmd("ul.dump").splitlines():
            if match := re.match(r"\s*AoR: (\S+)", line):
                aor = match.group(1)
                found[aor] = []
            elif (match := re.match(r"\s*Address: (\S+)", line)) and aor:
                found[aor].append((match.group(1), ""))
            elif (match := re.match(r"\s*Expires: (\S+)", line)) and aor and found[aor]:
                found[aor][-1] = (found[aor][-1][0], match.group(1))
        return found

    def rpc(self, method: str, *params: str) -> dict:
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": list(params), "id": 1})
        request = urllib.request.Request(self.rpc_url, data=body.encode(), method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)

    def answers(self) -> bool:
        """The RPC answers and the SIP socket replies to OPTIONS."""
        try:
            self.rpc("core.uptime")
        except OSError:
            return False
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            sock.settimeout(0.5)
            port = sock.getsockname()[1]
            options = (
                f"OPTIONS sip:127.0.0.1:{self.sip_port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-ready-{time.monotonic_ns()}\r\n"
                "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=probe\r\n"
                "To: <sip:127.0.0.1>\r\nCall-ID: ready-probe\r\nCSeq: 1 OPTIONS\r\n"
                "Content-Length: 0\r\n\r\n"
            )
            sock.sendto(options.encode(), ("127.0.0.1", self.sip_port))
            try:
                return sock.recv(4096).startswith(b"SIP/2.0 200")
            except TimeoutError:
                return False

    def start(self) -> None:
        rpc_port = int(self.rpc_url.rsplit(":", 1)[1].split("/")[0])
        defines = {
            "DBURL": f'"{self.database_url}"',
            "SIP_DOMAIN": f'"{self.domain}"',
            "SIP_LISTEN": f"udp:127.0.0.1:{self.sip_port}",
            "RPC_LISTEN": f"tcp:127.0.0.1:{rpc_port}",
            "CTL_SOCKET": f'"unix:{self.ctl}"',
            "CHILDREN": "2",
            # Contacts reach the database (and a removed one leaves memory) within a second,
            # so that the tests meet both states of a contact, as production does.
            "USRLOC_TIMER": "1",
        }
        command = ["kamailio", "-DD", "-E", "-f", str(CONFIG), "-Y", str(self.workdir)]
        command += ["-P", str(self.workdir / "kamailio.pid")]
        for name, value in defines.items():
            command += ["-A", f"{name}={value}"]
        log = (self.workdir / "kamailio.log").open("wb")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        try:
            wait_for(self._up, timeout=15, what=f"kamailio on udp port {self.sip_port}")
        except AssertionError:
            self.stop()
            raise AssertionError("kamailio did not start:\n" + self.log()[-3000:]) from None

    def _up(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError("kamailio exited:\n" + self.log()[-3000:])
        return self.answers()

    def log(self) -> str:
        return (self.workdir / "kamailio.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def reset(self) -> None:
        """No subscribers, aliases, contacts, counted failures or bans: every test starts from
        an empty registrar."""
        self.sql("TRUNCATE subscriber, dbaliases, location, location_attrs")
        for aor in self.contacts():
            self.rpc("ul.rm", "location", aor)
        for table in ("authfail", "ipban"):
            self.kamcmd("htable.flush", table)

    def banned(self) -> set[str]:
        """The source addresses in the ban table (``kamcmd htable.dump ipban``)."""
        return set(re.findall(r"name: (\S+)", self.kamcmd("htable.dump", "ipban")))


def _psql(database: str, *args: str) -> None:
    subprocess.run(
        [
            *("psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-h", PG["host"]),
            *("-p", str(PG["port"]), "-U", PG["user"], "-d", database, *args),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture(scope="session")
def kamailio(tmp_path_factory) -> Iterator[Kamailio]:
    missing = _missing()
    if missing:
        require_service("kamailio", False, missing)
    if not _postgres_answers():
        require_service("postgres", False, "Kamailio's test database needs it on 127.0.0.1:5432")
    database = f"kamailio_test_{os.getpid()}"
    workdir = tmp_path_factory.mktemp("kamailio")
    _psql("postgres", "-c", f'DROP DATABASE IF EXISTS "{database}"')
    _psql("postgres", "-c", f'CREATE DATABASE "{database}"')
    server = Kamailio(
        database=database,
        database_url=f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{database}",
        sip_port=free_port(socket.SOCK_DGRAM),
        rpc_url=f"http://127.0.0.1:{free_port()}/RPC",
        ctl=str(workdir / "kamailio_ctl"),
        domain=SIP_DOMAIN,
        workdir=workdir,
    )
    try:
        for name in SCHEMA_FILES:
            _psql(database, "-f", str(SCHEMA_DIR / f"{name}-create.sql"))
        server.start()
        yield server
    finally:
        server.stop()
        _psql("postgres", "-c", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


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
