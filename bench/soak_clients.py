"""The customers of bench/soak.py: wizard flows, list imports and API orders over two web nodes.

Every request goes to the next web node in turn, as a load balancer without stickiness
would send it: a flow logs in on one node and goes on on the other, so the session, the
CSRF token, rate limits and lockouts must be shared (Redis and PostgreSQL). All requests
carry one host name (``Host: portal.soak.test``), as they would behind the balancer.

A request that gets no answer (a node killed, a timeout) or a 5xx/429 is sent again, to the
next node, as a user presses the button again or an API client retries with the same
``Idempotency-Key``; for at most ``RETRY_SECONDS``. Any other unexpected answer fails the
flow. The time of every attempt counts for the p95.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from dataclasses import dataclass

import requests
import wizard
from common import BenchError
from wizard import UUID, Browser, FlowSpec, Recorder

HOST_NAME = "portal.soak.test"
RETRY_SECONDS = 120
RETRY_PAUSE = 1.0
#: A failure of the node, not of the request: answered by the client again.
RETRIED_STATUSES = {429, 500, 502, 503, 504}


class Nodes:
    """The web nodes' base URLs, handed out round-robin to all clients."""

    def __init__(self, base_urls: list[str]) -> None:
        self.base_urls = base_urls
        self._next = itertools.cycle(base_urls)
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            return next(self._next)


class Latencies:
    """Seconds of every client request attempt, for the p95."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seconds: list[float] = []
        self.retries = 0

    def add(self, seconds: float, *, retried: bool = False) -> None:
        with self._lock:
            self.seconds.append(seconds)
            self.retries += retried

    def p95_ms(self) -> int:
        if not self.seconds:
            return 0
        return round(wizard.percentile(sorted(self.seconds), 95) * 1000)


class _Recorder(Recorder):
    """The wizard driver's recorder, feeding the soak's latencies (successful attempts)."""

    def __init__(self, latencies: Latencies) -> None:
        super().__init__()
        self.latencies = latencies

    def add(self, key, seconds: float) -> None:
        self.latencies.add(seconds)


class SoakBrowser(Browser):
    """bench/wizard.py's browser, each request on the next node, retried on node failures."""

    def __init__(self, nodes: Nodes, latencies: Latencies, stop: threading.Event) -> None:
        super().__init__(nodes.base_urls[0], _Recorder(latencies), stop)
        self.nodes = nodes
        self.latencies = latencies
        self.origin = f"https://{HOST_NAME}"
        self.session.headers["Host"] = HOST_NAME

    def request(self, key, path, *, data=None, status, location=None) -> requests.Response:
        deadline = time.monotonic() + RETRY_SECONDS
        while True:
            self.base_url = self.nodes.next()
            started = time.perf_counter()
            try:
                return super().request(key, path, data=data, status=status, location=location)
            except BenchError as exc:
                if not _node_failure(str(exc)) or time.monotonic() > deadline:
                    raise
                self.latencies.add(time.perf_counter() - started, retried=True)
                time.sleep(RETRY_PAUSE)


def _node_failure(message: str) -> bool:
    """Whether the driver's error says the node failed (no answer, 5xx, 429)."""
    if "got " not in message:
        return True  # no answer at all: connection refused or reset, timeout
    got = message.split("got ", 1)[1][:3]
    return got.isdigit() and int(got) in RETRIED_STATUSES


@dataclass(frozen=True)
class Placed:
    """An order as the client saw it: its code and what it should contain."""

    kind: str
    code: str
    admin: str
    usernames: tuple[str, ...]  # known ahead (wizard, API); the import's come from suggestions
    items: int


def wizard_order(nodes, latencies, stop, spec: FlowSpec) -> Placed:
    """bench/wizard.py's flow (login, steps 2 to 6, bestellen, the order page) across nodes."""
    browser = SoakBrowser(nodes, latencies, stop)
    recorder = browser.recorder
    try:
        wizard.run_flow(browser, spec)
    finally:
        browser.close()
    code = recorder.placed[-1][0]
    return Placed("wizard", code, spec.admin, (spec.username,), 1)


def import_order(nodes, latencies, stop, admin, password, trunk_code, index: int, data: bytes):
    """Log in, upload 50 rows and "Prüfen", "In den Warenkorb", bestellen: one order."""
    from django.urls import reverse

    from workplaces.models import ImportRun

    browser = SoakBrowser(nodes, latencies, stop)
    try:
        spec = FlowSpec(admin, password, "", "", "")
        rows = iter(wizard.ROWS)
        wizard.log_in(browser, spec, lambda: next(rows)[:2])
        upload = reverse("listimport:upload", args=[trunk_code])
        page = browser.request(("import", "GET"), upload, status=200)
        run_url = _post_file(browser, upload, wizard.csrf(page), data)
        code = run_url.rstrip("/").split("/")[-1]
        run = _wait_run(code, ImportRun.Status.CHECKED, stop)
        if run.result.get("ok") != run.total:
            raise BenchError(f"import {code}: {run.result.get('failed')} rows refused")
        page = browser.request(("import", "GET"), run_url, status=200)
        data = {"csrfmiddlewaretoken": wizard.csrf(page), "mode": "all"}
        browser.request(("import", "POST"), run_url + "warenkorb/", data=data, status=302)
        added = _wait_run(code, ImportRun.Status.ADDED, stop).cart_result.get("added")
        if added != run.total:
            raise BenchError(f"import {code}: {added} of {run.total} rows into the cart")
        page = browser.request(("import", "GET"), "/sip-trunk/warenkorb/", status=200)
        token = wizard.find(wizard.CART_TOKEN_INPUT, page, "token")
        redirect = browser.request(
            ("import", "POST"),
            "/sip-trunk/warenkorb/bestellen/",
            data={"csrfmiddlewaretoken": wizard.csrf(page), "token": token},
            status=302,
            location=rf"/sip-trunk/auftraege/{UUID}/",
        )
        order = redirect.headers["Location"].split("/")[-2]
        browser.request(("import", "GET"), redirect.headers["Location"], status=200)
    finally:
        browser.close()
    usernames = tuple(f"soak.i{index}.{i}" for i in range(run.total))
    return Placed("import", order, admin, usernames, run.total)


def retried(nodes: Nodes, latencies: Latencies, what: str, expect: int, send) -> requests.Response:
    """``send(base_url)`` on the next node until it answers ``expect``; again after no answer,
    a 5xx or a 429 (for at most ``RETRY_SECONDS``); any other answer fails."""
    deadline = time.monotonic() + RETRY_SECONDS
    while True:
        started = time.perf_counter()
        try:
            response = send(nodes.next())
        except requests.RequestException:
            response = None
        elapsed = time.perf_counter() - started
        if response is not None and response.status_code == expect:
            latencies.add(elapsed)
            return response
        if response is not None and response.status_code not in RETRIED_STATUSES:
            raise BenchError(f"{what}: {response.status_code} {response.text[:300]!r}")
        latencies.add(elapsed, retried=True)
        if time.monotonic() > deadline:
            raise BenchError(f"{what}: no answer within {RETRY_SECONDS} s")
        time.sleep(RETRY_PAUSE)


def _post_file(browser: SoakBrowser, path: str, token: str, data: bytes) -> str:
    """The upload ("Prüfen") as multipart, retried like the other requests; the run's URL."""
    headers = {"Origin": browser.origin, "Referer": browser.origin + path}
    headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in browser.session.cookies)
    response = retried(
        browser.nodes,
        browser.latencies,
        "upload",
        302,
        lambda base: browser.session.post(
            base + path,
            data={"csrfmiddlewaretoken": token},
            files={"file": ("liste.csv", data, "text/csv")},
            headers=headers,
            allow_redirects=False,
            timeout=30,
        ),
    )
    return response.headers["Location"]


def _wait_run(code: str, status: str, stop: threading.Event, timeout: float = 600):
    """The import run once it reached ``status`` (its tasks run on the workers)."""
    from django.db import close_old_connections

    from workplaces.models import ImportRun

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop.is_set():
        close_old_connections()
        run = ImportRun.objects.get(code=code)
        if run.status == status:
            return run
        if run.status == ImportRun.Status.FAILED:
            raise BenchError(f"import {code} failed: {run.failure} {run.failure_message}")
        time.sleep(0.5)
    raise BenchError(f"import {code} did not reach {status} within {timeout:.0f} s")


def api_order(nodes, latencies, key: str, admin: str, item: dict) -> Placed:
    """POST /api/v1/orders with one new workplace and an Idempotency-Key, retried with it."""
    headers = {
        "Authorization": f"Bearer {key}",
        "Idempotency-Key": str(uuid.uuid4()),
        "Host": HOST_NAME,
        "X-Forwarded-Proto": "https",
    }
    with requests.Session() as session:
        response = retried(
            nodes,
            latencies,
            "API order",
            202,
            lambda base: session.post(
                base + "/api/v1/orders", json={"items": [item]}, headers=headers, timeout=30
            ),
        )
    return Placed("api", response.json()["code"], admin, (item["username"],), 1)
