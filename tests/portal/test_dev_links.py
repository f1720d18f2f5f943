"""`make run PORT=8400` serves on 8400, so the links in its e-mails must point there too."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys

import pytest

from tests.portal.test_settings import ROOT, environment

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def planned_commands(*args: str) -> list[str]:
    """What ``make run`` would execute (``make -n`` prints, it runs nothing)."""
    result = subprocess.run(
        ["make", "-n", "run", *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.splitlines()


def base_url_of(command: str) -> str:
    """The PORTAL_BASE_URL that the settings read for ``command``'s environment."""
    words = shlex.split(command)
    assignments = dict(w.split("=", 1) for w in words[: words.index(".venv/bin/python")])
    script = "from django.conf import settings; print(settings.PORTAL_BASE_URL)"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + script],
        cwd=ROOT,
        env=environment(**assignments),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("args", "url"),
    [((), "http://127.0.0.1:8000"), (("PORT=8400",), "http://127.0.0.1:8400")],
)
def test_make_run_gives_the_server_and_the_demo_data_the_base_url_of_its_port(args, url):
    commands = planned_commands(*args)
    port = url.rsplit(":", 1)[1]
    server = next(c for c in commands if "manage.py runserver" in c)
    assert server.endswith(f"runserver 127.0.0.1:{port}")
    assert base_url_of(server) == url
    seed = next(c for c in commands if "manage.py seed_demo" in c)
    assert base_url_of(seed) == url


def test_an_explicit_base_url_wins_over_the_port():
    commands = planned_commands("PORT=8400", "PORTAL_BASE_URL=https://dev.example.com")
    server = next(c for c in commands if "manage.py runserver" in c)
    assert base_url_of(server) == "https://dev.example.com"
