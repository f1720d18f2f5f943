"""A real SIP registrar for a benchmark: Kamailio on its own PostgreSQL database, as the tests'
``kamailio`` fixture starts it (tests/provisioning/conftest.py), with deploy/kamailio/kamailio.cfg.

The portal writes the database (``PROVISIONING_BACKEND=kamailio``); :meth:`Kamailio.subscribers`
counts what it holds.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import psycopg
from common import BASE_DIR, HOST, BenchError, Child, free_port, recreate_database

CONFIG = BASE_DIR / "deploy" / "kamailio" / "kamailio.cfg"
SCHEMA_DIR = Path("/usr/share/kamailio/postgres")
SCHEMA_FILES = ["standard", "auth_db", "usrloc", "alias_db"]
SIP_DOMAIN = "sip.bench.invalid"


def udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Kamailio(Child):
    """kamailio in the foreground on free loopback ports, its database recreated and loaded."""

    def __init__(self, postgres: str, database: str, workdir: Path, log: Path) -> None:
        if shutil.which("kamailio") is None or shutil.which("psql") is None:
            raise BenchError("--topology production needs kamailio and psql installed")
        missing = [n for n in SCHEMA_FILES if not (SCHEMA_DIR / f"{n}-create.sql").exists()]
        if missing:
            raise BenchError(f"Kamailio's schema files are missing in {SCHEMA_DIR}: {missing}")
        recreate_database(postgres, database)
        # Kamailio's db_postgres and the portal's setting both read the postgres:// form.
        self.database_url = f"{postgres}/{database}".replace("postgresql://", "postgres://", 1)
        for name in SCHEMA_FILES:
            schema = str(SCHEMA_DIR / f"{name}-create.sql")
            subprocess.run(
                [
                    "psql",
                    "-q",
                    "-X",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-d",
                    self.database_url,
                    "-f",
                    schema,
                ],
                check=True,
                capture_output=True,
                timeout=60,
            )
        self.rpc_url = f"http://{HOST}:{free_port()}/RPC"
        rpc_port = self.rpc_url.rsplit(":", 1)[1].split("/")[0]
        defines = {
            "DBURL": f'"{self.database_url}"',
            "SIP_DOMAIN": f'"{SIP_DOMAIN}"',
            "SIP_LISTEN": f"udp:{HOST}:{udp_port()}",
            "RPC_LISTEN": f"tcp:{HOST}:{rpc_port}",
            "CTL_SOCKET": f'"unix:{workdir / "kamailio_ctl"}"',
            "CHILDREN": "2",
        }
        command = ["kamailio", "-DD", "-E", "-f", str(CONFIG), "-Y", str(workdir)]
        command += ["-P", str(workdir / "kamailio.pid")]
        for name, value in defines.items():
            command += ["-A", f"{name}={value}"]
        super().__init__("kamailio", command, {}, log)

    def wait_ready(self, seconds: float = 20) -> str:
        """Until the RPC answers; Kamailio's version."""
        body = json.dumps({"jsonrpc": "2.0", "method": "core.version", "id": 1}).encode()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.check_running()
            request = urllib.request.Request(self.rpc_url, data=body, method="POST")
            with (
                contextlib.suppress(OSError, ValueError),
                urllib.request.urlopen(request, timeout=1) as response,
            ):
                return " ".join(str(json.load(response).get("result", "")).split()[1:2])
            time.sleep(0.1)
        raise BenchError(f"kamailio did not answer within {seconds:.0f} s\n{self.tail()}")

    def env(self) -> dict[str, str]:
        """The portal's settings pointed at this registrar."""
        return {
            "PROVISIONING_BACKEND": "kamailio",
            "KAMAILIO_DATABASE_URL": self.database_url,
            "SIP_DOMAIN": SIP_DOMAIN,
            "KAMAILIO_RPC_URL": self.rpc_url,
        }

    def subscribers(self) -> int:
        """Subscriber rows of the domain."""
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            query = "SELECT count(*) FROM subscriber WHERE domain = %s"
            return connection.execute(query, [SIP_DOMAIN]).fetchone()[0]
