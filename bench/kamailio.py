"""A real SIP registrar for a benchmark: the tests' Kamailio (tests/provisioning/kamailio_server.py,
deploy/kamailio/kamailio.cfg on its own fresh PostgreSQL database) as a child of the benchmark.

The portal writes the database (``PROVISIONING_BACKEND=kamailio``); :meth:`Registrar.subscribers`
counts what it holds.
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import BASE_DIR

if str(BASE_DIR) not in sys.path:
    sys.path.append(str(BASE_DIR))  # last: bench/notifications.py stays ahead of the app
from tests.provisioning.kamailio_server import create_kamailio, drop_database


class Registrar:
    """Kamailio with the interface ``common.run_with_children`` stops and reports."""

    name = "kamailio"

    def __init__(self, database: str, workdir: Path) -> None:
        self.database = database
        self.kamailio = create_kamailio(database, workdir)
        self.log = workdir / "kamailio.log"

    def start(self) -> str:
        """Start it and wait until it answers; Kamailio's version."""
        self.kamailio.start()
        version = str(self.kamailio.rpc("core.version").get("result", ""))
        return " ".join(version.split()[1:2])

    def stop(self) -> None:
        self.kamailio.stop()
        drop_database(self.database)

    def env(self) -> dict[str, str]:
        """The portal's settings pointed at this registrar."""
        return {
            "PROVISIONING_BACKEND": "kamailio",
            "KAMAILIO_DATABASE_URL": self.kamailio.database_url,
            "SIP_DOMAIN": self.kamailio.domain,
            "KAMAILIO_RPC_URL": self.kamailio.rpc_url,
        }

    def subscribers(self) -> int:
        """Subscriber rows of the domain."""
        query = "SELECT count(*) FROM subscriber WHERE domain = %s"
        return self.kamailio.sql(query, [self.kamailio.domain])[0][0]
