"""With Redis, every web process counts the same failed logins and "Passwort vergessen" requests,
the same API requests and username checks, and reads the same sessions.

Two separate Python processes run the portal (the test settings, the test database, REDIS_URL
on a database of its own, flushed here) and take requests in turn, as two web workers would.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import database_url, flushed_redis_db

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/14"  # a database for this test alone; flushed
ADMIN_LOGIN = reverse("portal:login")
FORGOTTEN = reverse("myportal:password_forgotten")
DASHBOARD = "/"

#: A web process: one JSON line per request on stdin, its status code on stdout.
WEB_PROCESS = """
import json, os, sys
import django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
settings.MYPORTAL_RESET_MIN_SECONDS = 0  # the answer's minimum time is not tested here
print(json.dumps({"pid": os.getpid(), "cache": settings.CACHES["default"]["BACKEND"]}), flush=True)
from portal.models import User
for line in sys.stdin:
    job = json.loads(line)
    client = Client()
    client.cookies.load(job.get("cookies", {}))
    if job.get("login"):
        client.force_login(User.objects.get(username=job["login"]))
    send = client.get if job.get("method") == "GET" else client.post
    response = send(job["url"], job["data"], REMOTE_ADDR=job["address"], headers=job["headers"])
    body = response.content.decode() if response.get("Content-Type", "").startswith("text/") else ""
    cookies = {name: morsel.value for name, morsel in response.cookies.items()}
    answer = {"status": response.status_code, "body": body, "cookies": cookies}
    print(json.dumps({**answer, "location": response.get("Location", "")}), flush=True)
"""


class WebProcess:
    def __init__(self, log: Path) -> None:
        self.log = log
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": REDIS_URL,
            "WIZARD_USERNAME_CHECKS_PER_HOUR": "4",
            "API_REQUESTS_PER_MINUTE": "3",
        }
        with log.open("wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-c", WEB_PROCESS],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        self.started = self._answer()

    def post(self, url: str, data: dict, address: str) -> int:
        return self.send(url, data, address)["status"]

    def send(self, url: str, data: dict, address: str, **job) -> dict:
        """``job`` may name ``method`` (GET), ``login`` (a username), ``headers`` and
        ``cookies`` (name to value)."""
        job = {"url": url, "data": data, "address": address, "headers": {}, **job}
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        return self._answer()

    def _answer(self) -> dict:
        ready, _, _ = select.select([self.process.stdout], [], [], 60)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            raise AssertionError(f"the web process did not answer:\n{self.log.read_text()}")
        return json.loads(line)

    def stop(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process.stdout.close()


@pytest.fixture
def redis():
    with flushed_redis_db(REDIS_URL) as client:
        yield client


@pytest.fixture
def web_processes(redis, transactional_db, tmp_path):
    """Two web processes on the test database; stopped before the database is emptied."""
    processes = [WebProcess(tmp_path / f"web-{n}.log") for n in range(2)]
    yield processes
    for process in processes:
        process.stop()


def test_two_web_processes_share_the_password_reset_limit(redis, web_processes):
    first, second = web_processes
    assert first.started["pid"] != second.started["pid"]
    assert {first.started["cache"], second.started["cache"]} == {
        "django.core.cache.backends.redis.RedisCache"
    }
    limit = settings.MYPORTAL_RESETS_PER_USERNAME
    # Each from another address; the processes take turns.
    served = [
        web_processes[n % 2].post(FORGOTTEN, {"username": "niemand.hier"}, f"198.51.100.{n + 1}")
        for n in range(limit)
    ]
    assert served == [302] * limit
    assert first.post(FORGOTTEN, {"username": "niemand.hier"}, "203.0.113.1") == 429
    assert second.post(FORGOTTEN, {"username": "niemand.hier"}, "203.0.113.2") == 429
    # The counters are in Redis, under the portal's prefix.
    assert redis.keys("portal:*")


def test_two_web_processes_share_the_login_lockout(alice, web_processes):
    first, second = web_processes
    address = "203.0.113.7"
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        wrong = {"username": "alice", "password": f"Falsch-geraten-{n}"}
        assert web_processes[n % 2].post(ADMIN_LOGIN, wrong, address) == 200
    last = {"username": "alice", "password": "Falsch-geraten-letzter"}
    assert second.post(ADMIN_LOGIN, last, address) == 429
    right = {"username": "alice", "password": "Secret-Pass-1"}
    assert first.post(ADMIN_LOGIN, right, address) == 429
    assert second.post(ADMIN_LOGIN, right, address) == 429
    # Only that address is locked.
    assert first.post(ADMIN_LOGIN, right, "203.0.113.8") == 302


def test_two_web_processes_share_the_limit_of_username_checks(alice, trunk, web_processes):
    from tests.conftest import client_for
    from tests.wizard_helpers import start_draft

    draft = start_draft(client_for(alice), trunk)
    url = reverse("wizard:check_username", args=[draft.code])
    answers = [
        web_processes[n % 2].send(
            url,
            {"username": f"geraten{n}"},
            "203.0.113.7",
            method="GET",
            login="alice",
            headers={"HX-Request": "true"},
        )
        for n in range(5)
    ]
    assert ["ist frei" in a["body"] for a in answers] == [True] * 4 + [False]
    assert "zu viele Benutzernamen prüfen lassen" in answers[-1]["body"]


def test_a_login_on_one_web_process_holds_on_the_other(alice, web_processes):
    first, second = web_processes
    right = {"username": "alice", "password": "Secret-Pass-1"}
    login = first.send(ADMIN_LOGIN, right, "203.0.113.9")
    assert login["status"] == 302
    session = {settings.SESSION_COOKIE_NAME: login["cookies"][settings.SESSION_COOKIE_NAME]}
    page = second.send(DASHBOARD, {}, "203.0.113.9", method="GET", cookies=session)
    assert page["status"] == 200
    assert reverse("portal:logout") in page["body"]  # the logged-in page, not the login form
    # Logged out on the second, the session is gone on the first as well.
    logout = second.send(reverse("portal:logout"), {}, "203.0.113.9", cookies=session)
    assert logout["status"] == 302
    again = first.send(DASHBOARD, {}, "203.0.113.9", method="GET", cookies=session)
    assert again["status"] == 302
    assert again["location"].startswith(ADMIN_LOGIN)


def test_two_web_processes_share_the_api_rate_limit(alice, web_processes):
    import time

    from api.services import create_api_key
    from portal.policy import Actor

    _key, raw = create_api_key(actor=Actor.for_admin(alice), name="Zwei Knoten")
    if time.time() % 60 > 50:  # the limit counts per clock minute: all requests in one
        time.sleep(61 - time.time() % 60)
    headers = {"Authorization": f"Bearer {raw}"}
    statuses = [
        web_processes[n % 2].send(
            "/api/v1/trunks", {}, "203.0.113.10", method="GET", headers=headers
        )["status"]
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
