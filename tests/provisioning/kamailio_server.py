"""A real Kamailio on PostgreSQL for the tests and for bench/soak.py (no pytest, no Django).

``Kamailio`` runs ``deploy/kamailio/kamailio.cfg`` with the defines the tests use, on a free
loopback UDP port, with JSON-RPC over HTTP and a ctl socket for ``kamcmd``;
``create_kamailio`` makes its fresh database with Debian's schema files loaded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.waiting import wait_for

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


def missing() -> str:
    """What is missing for these tests, or '' when everything is there."""
    for program in ("kamailio", "sipp", "kamcmd", "psql"):
        if shutil.which(program) is None:
            return f"{program} is not installed"
    if not (MODULE_DIR / "db_postgres.so").exists():
        return "kamailio-postgres-modules is not installed"
    if not all((SCHEMA_DIR / f"{name}-create.sql").exists() for name in SCHEMA_FILES):
        return f"the schema files are missing in {SCHEMA_DIR}"
    return ""


def postgres_answers() -> bool:
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


def psql(database: str, *args: str) -> None:
    subprocess.run(
        [
            *("psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-h", PG["host"]),
            *("-p", str(PG["port"]), "-U", PG["user"], "-d", database, *args),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


def create_kamailio(database: str, workdir: Path, domain: str = SIP_DOMAIN) -> Kamailio:
    """A fresh database ``database`` with Kamailio's schema, and a Kamailio (not yet started)
    on free loopback ports that uses it."""
    psql("postgres", "-c", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    psql("postgres", "-c", f'CREATE DATABASE "{database}"')
    for name in SCHEMA_FILES:
        psql(database, "-f", str(SCHEMA_DIR / f"{name}-create.sql"))
    return Kamailio(
        database=database,
        database_url=f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{database}",
        sip_port=free_port(socket.SOCK_DGRAM),
        rpc_url=f"http://127.0.0.1:{free_port()}/RPC",
        ctl=str(workdir / "kamailio_ctl"),
        domain=domain,
        workdir=workdir,
    )


def drop_database(database: str) -> None:
    psql("postgres", "-c", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
