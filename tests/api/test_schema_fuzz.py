"""schemathesis against the live API (issue 18, item 6): every operation of
``/api/v1/openapi.json``, a few hundred generated requests with a valid key, over loopback.

No answer may be a server error, and every answer must match the description: its status is
declared, its content type and headers are the declared ones, its body fits the schema. The run
is slow (tens of seconds), so it belongs to the PostgreSQL pass of ``make test`` (marker
``fuzz``).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from api import services
from portal.policy import Actor
from tests.conftest import make_trunk
from tests.services.helpers import active_workplace, draft_in_cart

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)
#: Examples per operation and phase; with the API's dozen operations a few hundred requests.
EXAMPLES = 15


def schemathesis() -> str:
    return str(Path(sys.executable).with_name("schemathesis"))


@pytest.fixture
def api_data(alice, charlie, trunk, other_trunk, packages, settings):
    """Alice's key, with something behind every operation: active workplaces, a draft in the
    cart, and another customer's objects that the key must never reach."""
    settings.API_REQUESTS_PER_MINUTE = 100_000
    active_workplace(alice, trunk, username="anna.schmidt", package=packages["konferenz-plus"])
    active_workplace(alice, trunk, username="ben.weber")
    draft_in_cart(
        alice,
        make_trunk(alice.customer, "Niederlassung Berlin", "+49301234", 10, 20),
        username="carla.klein",
    )
    active_workplace(charlie, other_trunk, username="dora.fremd")
    return services.create_api_key(actor=Actor.for_admin(alice), name="Fuzz")[1]


def test_no_request_breaks_the_description_or_the_server(live_server, api_data, tmp_path):
    assert live_server.url.startswith("http://localhost:") or "127.0.0.1" in live_server.url
    command = [
        schemathesis(),
        "run",
        f"{live_server.url}/api/v1/openapi.json",
        "-H",
        f"Authorization: Bearer {api_data}",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(EXAMPLES),
        "--workers",
        "1",
        "--seed",
        "18",
        "--generation-database",
        "none",
        "--request-timeout",
        "20",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=900, cwd=tmp_path, check=False
    )
    report = result.stdout[-12000:] + result.stderr[-3000:]
    assert result.returncode == 0, report
    # Warnings may stay (random bodies name no trunk of the key, so most POSTs are refused).
    assert re.search(r"(\d+) generated, \1 passed\n", result.stdout), report
    operations = sum(
        len(methods) for methods in Client().get("/api/v1/openapi.json").json()["paths"].values()
    )
    assert re.search(rf"Tested: {operations}\b", result.stdout), report
    cases = int(re.search(r"(\d+) generated", result.stdout).group(1))
    assert cases >= 20 * operations, report
