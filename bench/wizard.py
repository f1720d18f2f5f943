"""Benchmark: complete wizard flows over HTTP against gunicorn and PostgreSQL.

    .venv/bin/python bench/wizard.py --flows 200 --concurrency 4

Creates a fresh PostgreSQL database (dropped and recreated), migrates it, loads the demo data,
adds a bench customer (one trunk, one admin per flow), runs collectstatic, starts gunicorn
with production settings and drives N flows like a browser without JavaScript: log in, steps
2 to 6 of the wizard, cart, "Kostenpflichtig bestellen", order page. ``/healthz`` (no
database, no template) served by the same gunicorn is the baseline, measured with the same
client at the same concurrency. Prints p50/p95 per request, flows per second and the ratios
to the baseline. Any unexpected status or redirect stops the run with exit status 1; at the
end the orders and active workplaces are counted in the database. See bench/README.md.
"""

from __future__ import annotations

import argparse
import html
import io
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import common  # noqa: F401 (first: re-starts the benchmark with the project's venv if needed)
import django
import requests
import topology
from common import (
    HOST,
    BenchError,
    Child,
    Redis,
    Worker,
    free_port,
    recreate_database,
    setup_django,
    venv_script,
)

BENCH_CUSTOMER = ("Bench GmbH", "K-900001")
BLOCK_BASE, FIRST_EXTENSION, LAST_EXTENSION = "+49302345", 1000, 9999
PACKAGES = ("none", "konferenz-basic", "konferenz-plus", "konferenz-premium")
USER_DATA = {
    "first_name": "Jörg",
    "last_name": "Müller",
    "street": "Friedrich-Ebert-Allee",
    "house_number": "140",
    "postcode": "53113",
    "city": "Bonn",
    "email": "joerg.mueller@example.com",
}

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CART_TOKEN_INPUT = re.compile(rf'name="token" value="({UUID})"')
TITLE = re.compile(r"<title>(.*?)</title>", re.S)
ERROR_LIST = re.compile(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', re.S)

# One row per request of a flow, in flow order: (label, method, path as shown).
HEALTHZ = "healthz (baseline)"
ROWS = (
    ("login page", "GET", "/anmelden/"),
    ("login", "POST", "/anmelden/"),
    ("dashboard", "GET", "/"),
    ("1 trunk (skipped)", "GET", "/sip-trunk/einrichten/"),
    ("2 benutzerdaten", "GET", "…/einrichten/trunk/<trunk>/"),
    ("2 benutzerdaten", "POST", "…/einrichten/trunk/<trunk>/"),
    ("3 benutzeranmeldung", "GET", "…/<draft>/benutzeranmeldung/"),
    ("3 benutzeranmeldung", "POST", "…/<draft>/benutzeranmeldung/"),
    ("4 rufnummer", "GET", "…/<draft>/rufnummer/"),
    ("4 rufnummer", "POST", "…/<draft>/rufnummer/"),
    ("5 konferenzpaket", "GET", "…/<draft>/konferenzpaket/"),
    ("5 konferenzpaket", "POST", "…/<draft>/konferenzpaket/"),
    ("6 warenkorb", "GET", "…/<draft>/warenkorb/"),
    ("6 warenkorb", "POST", "…/<draft>/warenkorb/"),
    ("cart", "GET", "/sip-trunk/warenkorb/"),
    ("bestellen", "POST", "/sip-trunk/warenkorb/bestellen/"),
    ("order page", "GET", "/sip-trunk/auftraege/<order>/"),
)
REQUESTS_PER_FLOW = len(ROWS)


class Aborted(Exception):
    """Another flow failed or the run was interrupted; this one stops quietly."""


# --- Timings -----------------------------------------------------------------------------


class Recorder:
    """Seconds per row label, from all client threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.samples: dict[tuple[str, str], list[float]] = {}
        #: (order code, wall clock just before its "bestellen" POST) per flow
        self.placed: list[tuple[str, float]] = []

    def add(self, key: tuple[str, str], seconds: float) -> None:
        with self._lock:
            self.samples.setdefault(key, []).append(seconds)


def percentile(values: list[float], pct: int) -> float:
    """Linear interpolation between closest ranks (``statistics.quantiles`` inclusive)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


# --- HTTP client -------------------------------------------------------------------------


class Browser:
    """One browser: its own cookies, Referer and Origin; every request timed and checked.

    In production a TLS proxy sits in front and the browser speaks HTTPS. Here the client
    talks plain HTTP to gunicorn and says ``X-Forwarded-Proto: https`` as the proxy would,
    and sends the ``Secure`` cookies itself (requests would keep them for https:// URLs).
    """

    def __init__(self, base_url: str, recorder: Recorder, stop: threading.Event) -> None:
        self.base_url = base_url
        self.origin = base_url.replace("http://", "https://", 1)
        self.recorder = recorder
        self.stop = stop
        self.referer: str | None = None
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": "portal-bench/1", "X-Forwarded-Proto": "https"})

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        key: tuple[str, str],
        path: str,
        *,
        data: dict | None = None,
        status: int,
        location: str | None = None,
    ) -> requests.Response:
        """Send one request; fail unless it answers ``status`` (and redirects to ``location``)."""
        if self.stop.is_set():
            raise Aborted
        method = key[1]
        headers = {}
        if self.referer:
            headers["Referer"] = self.referer
        if method == "POST":
            headers["Origin"] = self.origin
        if self.session.cookies:
            headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in self.session.cookies)
        started = time.perf_counter()
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                data=data,
                headers=headers,
                allow_redirects=False,
                timeout=30,
            )
        except requests.RequestException as exc:
            raise BenchError(f"{key[0]} {method} {path}: {exc}") from exc
        elapsed = time.perf_counter() - started
        got = response.headers.get("Location", "")
        if response.status_code != status or (
            location is not None and not re.fullmatch(location, got)
        ):
            raise BenchError(describe(key, path, response, status, location))
        self.recorder.add(key, elapsed)
        if method == "GET" and status == 200:
            self.referer = self.origin + path
        return response


def describe(key, path, response, status, location) -> str:
    title = TITLE.search(response.text)
    errors = [
        html.unescape(re.sub(r"<[^>]+>", "", item))
        for block in ERROR_LIST.findall(response.text)
        for item in re.findall(r"<li>(.*?)</li>", block, re.S)
    ]
    lines = [
        f"{key[0]} {key[1]} {path}: got {response.status_code}"
        + (f" -> {response.headers.get('Location')}" if response.is_redirect else "")
        + f", expected {status}"
        + (f" -> {location}" if location else ""),
    ]
    if title:
        lines.append(f"  page title: {' '.join(html.unescape(title.group(1)).split())}")
    lines.extend(f"  error on page: {' '.join(e.split())}" for e in errors[:5] if e.strip())
    if not title:
        lines.append(f"  body: {response.text[:300]!r}")
    return "\n".join(lines)


def find(pattern: re.Pattern, response: requests.Response, what: str) -> str:
    match = pattern.search(response.text)
    if match is None:
        raise BenchError(f"{what} not found on {response.url}")
    return match.group(1)


def csrf(response: requests.Response) -> str:
    return find(CSRF_INPUT, response, "CSRF token")


# --- One flow ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowSpec:
    admin: str
    password: str
    username: str
    number: str
    package: str


def log_in(browser: Browser, spec: FlowSpec, key: Callable[[], tuple[str, str]]) -> None:
    page = browser.request(key(), "/anmelden/", status=200)
    browser.request(
        key(),
        "/anmelden/",
        data={
            "csrfmiddlewaretoken": csrf(page),
            "username": spec.admin,
            "password": spec.password,
            "next": "",
        },
        status=302,
        location="/",
    )


def run_flow(browser: Browser, spec: FlowSpec, *, login: bool = True) -> float:
    """Log in (unless done), walk steps 2 to 6, order, open the order; the flow's seconds."""
    started = time.perf_counter()
    row = iter(ROWS)

    def key() -> tuple[str, str]:
        label, method, _path = next(row)
        return label, method

    if login:
        log_in(browser, spec, key)
    else:
        next(row), next(row)
    browser.request(key(), "/", status=200)
    redirect = browser.request(
        key(),
        "/sip-trunk/einrichten/",
        status=302,
        location=rf"/sip-trunk/einrichten/trunk/{UUID}/",
    )
    new_url = redirect.headers["Location"]
    page = browser.request(key(), new_url, status=200)
    step = rf"/sip-trunk/einrichtung/({UUID})/%s/"
    redirect = browser.request(
        key(),
        new_url,
        data={"csrfmiddlewaretoken": csrf(page), **USER_DATA},
        status=302,
        location=step % "benutzeranmeldung",
    )
    draft = re.fullmatch(step % "benutzeranmeldung", redirect.headers["Location"]).group(1)
    posts = (
        (
            "benutzeranmeldung",
            {
                "username": spec.username,
                "auth_email": f"{spec.username}@example.com",
                "auth_email_repeat": f"{spec.username}@example.com",
                "mobile": "0170 1234567",
            },
            step % "rufnummer",
        ),
        ("rufnummer", {"number": spec.number}, step % "konferenzpaket"),
        ("konferenzpaket", {"package": spec.package}, step % "warenkorb"),
        ("warenkorb", {}, "/sip-trunk/warenkorb/"),
    )
    for slug, data, following in posts:
        url = f"/sip-trunk/einrichtung/{draft}/{slug}/"
        page = browser.request(key(), url, status=200)
        data = {"csrfmiddlewaretoken": csrf(page), **data}
        browser.request(key(), url, data=data, status=302, location=following)
    page = browser.request(key(), "/sip-trunk/warenkorb/", status=200)
    if spec.username not in page.text:
        raise BenchError(f"cart of {spec.admin} does not show {spec.username}")
    placed_at = topology.now()
    redirect = browser.request(
        key(),
        "/sip-trunk/warenkorb/bestellen/",
        data={"csrfmiddlewaretoken": csrf(page), "token": find(CART_TOKEN_INPUT, page, "token")},
        status=302,
        location=rf"/sip-trunk/auftraege/{UUID}/",
    )
    with browser.recorder._lock:
        browser.recorder.placed.append((redirect.headers["Location"].split("/")[-2], placed_at))
    page = browser.request(key(), redirect.headers["Location"], status=200)
    if spec.username not in page.text:
        raise BenchError(f"order page of {spec.admin} does not show {spec.username}")
    return time.perf_counter() - started


# --- Running tasks at a concurrency --------------------------------------------------------


def run_concurrently(
    tasks: list[Callable[[], float | None]], concurrency: int, stop: threading.Event
) -> tuple[float, list[float]]:
    """Run the tasks on ``concurrency`` threads; wall seconds and the tasks' results."""
    started = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bench")
    try:
        futures = [pool.submit(task) for task in tasks]
        done, _pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in done:
            exc = future.exception()
            if exc is not None and not isinstance(exc, Aborted):
                stop.set()
                raise exc
    except BaseException:
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    wall = time.perf_counter() - started
    return wall, [f.result() for f in futures if f.result() is not None]


def flow_task(base_url, recorder, stop, spec, browser=None) -> Callable[[], float]:
    """One flow; with ``browser`` (logged in already) it starts at the dashboard."""

    def task() -> float:
        own = browser or Browser(base_url, recorder, stop)
        own.recorder = recorder
        try:
            return run_flow(own, spec, login=browser is None)
        finally:
            own.close()

    return task


def login_task(browser: Browser, spec: FlowSpec) -> Callable[[], None]:
    """Log in, unmeasured, for a flow that starts logged in."""

    def task() -> None:
        row = iter(ROWS)
        log_in(browser, spec, lambda: next(row)[:2])

    return task


def healthz_task(base_url, recorder, stop) -> Callable[[], None]:
    def task() -> None:
        browser = Browser(base_url, recorder, stop)
        try:
            response = browser.request((HEALTHZ, "GET"), "/healthz", status=200)
            if response.text != "ok":
                raise BenchError(f"/healthz answered {response.text[:100]!r}")
        finally:
            browser.close()

    return task


# --- Database, Django and gunicorn ------------------------------------------------------------


def settings_env(database_url: str, port: int) -> dict[str, str]:
    """Production settings: no DEBUG, a fresh key, TLS at a proxy in front, no Redis, no SMTP."""
    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": HOST,
        "PORTAL_BASE_URL": f"https://{HOST}:{port}",
        "SECURE_SSL_REDIRECT": "false",
        "BEHIND_TLS_PROXY": "true",
        # No mail or SMS server: the development outbox, which production settings want named.
        "MAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "SMS_BACKEND": "notifications.sms.FileSmsBackend",
    }


def load_data(total: int) -> list[FlowSpec]:
    """Migrate, seed the demo, add the bench customer; flow specs for ``total`` flows."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connections, transaction

    from portal.models import Customer, User, UsernameClaim
    from trunks.models import NumberBlock, SipTrunk
    from trunks.services import save_number_block

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo", force=True, stdout=io.StringIO())
    # Without DEBUG, whitenoise's manifest storage needs collectstatic (into var/static).
    call_command("collectstatic", interactive=False, verbosity=0)
    password = secrets.token_urlsafe(16)
    with transaction.atomic():
        name, number = BENCH_CUSTOMER
        customer = Customer.objects.create(name=name, number=number)
        trunk = SipTrunk.objects.create(
            customer=customer, name="Bench Berlin", workplace_quota=total + 10
        )
        save_number_block(
            NumberBlock(
                trunk=trunk,
                base=BLOCK_BASE,
                first_extension=FIRST_EXTENSION,
                last_extension=LAST_EXTENSION,
            )
        )
        numbers = list(trunk.numbers.free().order_by("e164").values_list("e164", flat=True)[:total])
        if len(numbers) < total:
            raise BenchError(f"the bench block has {len(numbers)} numbers, {total} are needed")
        hashed = make_password(password)  # hashed once (Argon2), shared by all bench admins
        admins = [f"bench-admin-{i:05d}" for i in range(total)]
        created = User.objects.bulk_create(
            User(
                username=admin,
                first_name="Bench",
                last_name="Admin",
                email=f"{admin}@example.com",
                customer=customer,
                password=hashed,
            )
            for admin in admins
        )
        # bulk_create skips save(): claim the admins' names as creating them one by one would
        UsernameClaim.objects.bulk_create(UsernameClaim(name=u.username, user=u) for u in created)
    connections.close_all()
    specs = [
        FlowSpec(admin, password, f"bench.w{i:05d}", numbers[i], PACKAGES[i % len(PACKAGES)])
        for i, admin in enumerate(admins)
    ]
    return specs


def verify(specs: list[FlowSpec]) -> str:
    """Every flow left one completed order and one active workplace with its username."""
    from django.db import connections

    from orders.models import Order, OrderItem
    from workplaces.models import SetupDraft, Workplace

    customer = {"customer__number": BENCH_CUSTOMER[1]}
    total = len(specs)
    orders = Order.objects.filter(**customer)
    completed = orders.filter(status=Order.Status.COMPLETED).count()
    items = OrderItem.objects.filter(order__customer__number=BENCH_CUSTOMER[1]).count()
    active = set(
        Workplace.objects.filter(
            trunk__customer__number=BENCH_CUSTOMER[1], status=Workplace.Status.ACTIVE
        ).values_list("username", flat=True)
    )
    ordered = SetupDraft.objects.filter(status=SetupDraft.Status.ORDERED, **customer).count()
    connections.close_all()
    expected = {s.username for s in specs}
    problems = []
    if orders.count() != total or completed != total or items != total:
        problems.append(f"{orders.count()} orders ({completed} completed, {items} items)")
    if active != expected:
        problems.append(
            f"{len(active)} active workplaces, missing {sorted(expected - active)[:5]}, "
            f"unexpected {sorted(active - expected)[:5]}"
        )
    if ordered != total:
        problems.append(f"{ordered} ordered drafts")
    if problems:
        raise BenchError(f"database check failed, expected {total} of each: " + "; ".join(problems))
    return f"{total} orders completed, {len(active)} workplaces active, {ordered} drafts ordered"


def has_gunicorn_setting(name: str) -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(setting.name == name for setting in KNOWN_SETTINGS)


class Gunicorn(Child):
    """gunicorn as a child process in its own session; stopped on exit, error or Ctrl-C."""

    def __init__(self, env: dict[str, str], port: int, web: topology.Web, log: Path) -> None:
        command = [*venv_script("gunicorn"), "portal.wsgi", "-b", f"{HOST}:{port}"]
        command += web.options()
        if has_gunicorn_setting("control_socket_disable"):
            command.append("--no-control-socket")  # gunicorn >= 24 would share ~/.gunicorn/
        super().__init__("gunicorn", command, env, log)

    def wait_ready(self, base_url: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        headers = {"X-Forwarded-Proto": "https"}
        while time.monotonic() < deadline:
            self.check_running()
            try:
                response = requests.get(f"{base_url}/healthz", headers=headers, timeout=2)
                if response.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise BenchError(f"gunicorn did not answer /healthz within {seconds:.0f} s\n{self.tail()}")


# --- Report -----------------------------------------------------------------------------------


@dataclass
class Phase:
    """Wall seconds, CPU seconds of the gunicorn workers and of this client, task results."""

    wall: float = 0.0
    server_cpu: float | None = 0.0
    client_cpu: float = 0.0
    results: list[float] = field(default_factory=list)

    def run(self, tasks, concurrency: int, stop: threading.Event, gunicorn: Gunicorn) -> None:
        server, client = gunicorn.cpu_seconds(), time.process_time()
        wall, results = run_concurrently(tasks, concurrency, stop)
        server_after = gunicorn.cpu_seconds()
        self.wall += wall
        self.client_cpu += time.process_time() - client
        self.server_cpu = add(self.server_cpu, server, server_after)
        self.results += results


def add(total: float | None, before: float | None, after: float | None) -> float | None:
    if total is None or before is None or after is None:
        return None
    return total + after - before


@dataclass
class Results:
    flows: int
    recorder: Recorder
    flow: Phase
    healthz: Phase
    #: production topology: flows that start logged in, the Celery worker's CPU seconds
    #: from the first measured order until the last message, seconds until sent per order
    logged_in: Phase | None = None
    worker_cpu: float | None = None
    sent: list[float] | None = None


def report(results: Results) -> None:
    samples = results.recorder.samples
    base = samples[(HEALTHZ, "GET")]
    base_p50 = percentile(base, 50)
    header = (
        f"{'request':<22} {'':<4} {'path':<33} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p50/healthz':>12}"
    )
    rule = "-" * len(header)
    print(header)
    print(rule)

    def line(label: str, method: str, path: str, values: list[float]) -> None:
        p50, p95 = percentile(values, 50), percentile(values, 95)
        print(
            f"{label:<22} {method:<4} {path:<33} {len(values):>5} "
            f"{p50 * 1000:>8.1f} {p95 * 1000:>8.1f} {p50 / base_p50:>11.1f}x"
        )

    line(HEALTHZ, "GET", "/healthz", base)
    print(rule)
    for label, method, path in ROWS:
        line(label, method, path, samples[(label, method)])
    print(rule)
    line("whole flow", "", f"{REQUESTS_PER_FLOW} requests", results.flow.results)
    print()

    flows = results.flows
    flow_rate = flows / results.flow.wall
    request_rate = flows * REQUESTS_PER_FLOW / results.flow.wall
    healthz_rate = len(base) / results.healthz.wall
    rows = [
        ("flows per second", f"{flow_rate:.2f}", f"{flows} flows in {results.flow.wall:.1f} s"),
        (
            "flow requests per second",
            f"{request_rate:.1f}",
            f"{REQUESTS_PER_FLOW} requests per flow",
        ),
        (
            "healthz requests per second",
            f"{healthz_rate:.1f}",
            f"{len(base)} requests in {results.healthz.wall:.2f} s",
        ),
        (
            "healthz req/s ÷ flows/s",
            f"{healthz_rate / flow_rate:.1f}",
            "one flow takes the time of this many /healthz requests",
        ),
        (
            "healthz req/s ÷ flow req/s",
            f"{healthz_rate / request_rate:.1f}",
            "an average flow request against one /healthz request",
        ),
    ]
    if results.flow.server_cpu is not None and results.healthz.server_cpu is not None:
        flow_cpu = results.flow.server_cpu / flows
        healthz_cpu = results.healthz.server_cpu / len(base)
        rows += [
            (
                "server CPU ms per flow",
                f"{flow_cpu * 1000:.1f}",
                "gunicorn workers only, PostgreSQL not counted",
            ),
            ("server CPU ms per healthz", f"{healthz_cpu * 1000:.2f}", ""),
            (
                "flow CPU ÷ healthz CPU",
                f"{flow_cpu / healthz_cpu:.1f}" if healthz_cpu else "n/a",
                "" if healthz_cpu else "healthz used too little CPU to measure",
            ),
        ]
    rows.append(
        (
            "client CPU ms per flow",
            f"{results.flow.client_cpu / flows * 1000:.1f}",
            f"this process; {results.healthz.client_cpu / len(base) * 1000:.2f} per healthz",
        )
    )
    if results.logged_in is not None:
        rows += topology.rows(results, REQUESTS_PER_FLOW - 2)
    for label, value, note in rows:
        print(f"{label:<28} {value:>9}   {note}".rstrip())
    if results.logged_in is not None:
        steps = {
            f"{label} {method}": (percentile(values, 50), percentile(values, 95))
            for (label, method), values in samples.items()
            if label[0].isdigit()
        }
        healthz = (base_p50, percentile(base, 95))
        print("\ntargets (printed, never asserted):")
        for line_ in topology.targets(results, steps, healthz, REQUESTS_PER_FLOW - 2):
            print(f"  {line_}")


# --- Main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flows", type=int, default=50, help="measured flows (default 50)")
    parser.add_argument(
        "--topology",
        choices=("in-process", "production"),
        default="in-process",
        help="in-process: orders in the web process, no Redis (default); production: "
        "Redis, a Celery worker, the README's gunicorn settings and a connection pool",
    )
    parser.add_argument("--concurrency", type=int, help="client threads (default 4, production 8)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default 2)")
    parser.add_argument("--worker-class", choices=("sync", "gthread"), help="gunicorn's")
    parser.add_argument("--threads", type=int, help="threads per gthread worker")
    parser.add_argument("--pool", type=int, help="DATABASE_POOL of the web processes")
    parser.add_argument("--warmup", type=int, default=4, help="unmeasured flows first (default 4)")
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL without database (default: %(default)s)",
    )
    parser.add_argument(
        "--database",
        default="portal_bench",
        help="database to drop and create; must contain 'bench' (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    args.postgres = args.postgres.rstrip("/")
    production = args.topology == "production"
    args.concurrency = args.concurrency or (8 if production else 4)
    worker_class = args.worker_class or (topology.WORKER_CLASS if production else "sync")
    args.web = topology.Web(
        worker_class,
        args.workers or (topology.WORKERS if production else 2),
        args.threads or topology.THREADS,
    )
    args.workers = args.web.workers
    if args.pool is None:
        args.pool = topology.DATABASE_POOL if production and worker_class == "gthread" else 0
    if (
        args.flows < 1
        or args.concurrency < 1
        or args.workers < 1
        or args.warmup < 0
        or (args.web.threads < 1 or args.pool < 0)
    ):
        parser.error("--flows, --concurrency and --workers must be at least 1, --warmup 0")
    if "bench" not in args.database or not re.fullmatch(r"[a-z_][a-z0-9_]*", args.database):
        parser.error("--database must be a plain lowercase name containing 'bench'")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    database_url = f"{args.postgres}/{args.database}"
    env = settings_env(database_url, port)
    production = args.topology == "production"
    # production: a second set of flows that start logged in
    total = args.warmup + args.flows * (2 if production else 1)
    stop = threading.Event()
    gunicorn = None
    children: list[Child] = []
    redis_dir = None
    try:
        started = time.perf_counter()
        pg_version = recreate_database(args.postgres, args.database)
        setup_django(env)
        specs = load_data(total)
        print(
            f"setup: database {args.database} recreated, migrated, demo data, "
            f"{total} bench admins, collectstatic ({time.perf_counter() - started:.1f} s)"
        )
        tmp = Path(tempfile.gettempdir())
        worker = None
        web_env = env
        if production:
            redis_dir = Path(tempfile.mkdtemp(prefix="bench-redis-"))
            redis = Redis(free_port(), redis_dir, tmp / f"bench-redis-{port}.log")
            children.append(redis)
            redis_version = redis.wait_ready()
            web_env = topology.production_env(env, redis.url, args.pool)
            worker_settings = topology.worker_env(env, redis.url)
            worker = Worker(
                worker_settings, topology.CELERY_CONCURRENCY, tmp / f"bench-celery-{port}.log"
            )
            children.append(worker)
            worker.wait_ready(broker=redis.url)
        gunicorn = Gunicorn(web_env, port, args.web, tmp / f"bench-gunicorn-{port}.log")
        children.append(gunicorn)
        gunicorn.wait_ready(base_url)

        import gunicorn as gunicorn_package

        print(
            f"stack: gunicorn {gunicorn_package.__version__} ({args.web.describe()}) at "
            f"{base_url}, Django {django.get_version()}, Python {platform.python_version()}, "
            f"PostgreSQL {pg_version}, {os.cpu_count()} CPUs shared by client and server"
        )
        print(
            "settings: DJANGO_DEBUG unset, SECURE_SSL_REDIRECT=false, client sends "
            "X-Forwarded-Proto: https (TLS proxy), Argon2 for the login"
        )
        if production:
            print(
                f"orders: a Celery worker (prefork, concurrency {topology.CELERY_CONCURRENCY}) on "
                f"redis-server {redis_version}, which also holds the cache and the sessions; "
                f"DATABASE_POOL={args.pool or 'unset'} in the web processes"
            )
        else:
            print(
                "orders: no REDIS_URL, so Celery runs eagerly: each order is processed in the "
                "gunicorn worker right after commit, inside the 'bestellen' POST"
            )

        warm = Recorder()
        if args.warmup:
            tasks = [flow_task(base_url, warm, stop, s) for s in specs[: args.warmup]]
            tasks += [healthz_task(base_url, warm, stop) for _ in range(args.concurrency * 4)]
            run_concurrently(tasks, args.concurrency, stop)
            if production:
                topology.seconds_until_sent(warm.placed, timeout=120)
        # The baseline in two halves, before and after the flows, so that a change in the
        # machine's load during the run affects both sides alike.
        recorder = Recorder()
        before = args.flows // 2
        healthz, flows = Phase(), Phase()
        measured = specs[args.warmup : args.warmup + args.flows]
        worker_cpu = worker.cpu_seconds(own=True) if worker else None
        phases = [
            (healthz, [healthz_task(base_url, recorder, stop) for _ in range(before)]),
            (flows, [flow_task(base_url, recorder, stop, spec) for spec in measured]),
        ]
        logged_in = None
        if production:
            logged_in = Phase()
            later = specs[args.warmup + args.flows :]
            browsers = [Browser(base_url, Recorder(), stop) for _ in later]
            logins = [login_task(b, spec) for b, spec in zip(browsers, later, strict=True)]
            phases += [
                (Phase(), logins),  # unmeasured
                (
                    logged_in,
                    [
                        flow_task(base_url, recorder, stop, spec, browser)
                        for spec, browser in zip(later, browsers, strict=True)
                    ],
                ),
            ]
        phases.append(
            (healthz, [healthz_task(base_url, recorder, stop) for _ in range(args.flows - before)])
        )
        for phase, tasks in phases:
            phase.run(tasks, args.concurrency, stop, gunicorn)
        results = Results(args.flows, recorder, flows, healthz, logged_in)
        if production:
            results.sent = topology.seconds_until_sent(recorder.placed, timeout=300)
            results.worker_cpu = topology.add_cpu(worker_cpu, worker.cpu_seconds(own=True))
        print(
            f"\n{args.flows} flows at concurrency {args.concurrency} after {args.warmup} "
            f"warm-up flows; baseline: {args.flows} /healthz requests at the same concurrency, "
            f"{before} before and {args.flows - before} after the flows\n"
        )
        report(results)
        print(f"\nverified in the database: {verify(specs)} ({args.warmup} of them warm-up)")
        for child in children:
            child.keep_log = False
        return 0
    except BenchError as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
        for child in children:
            print(f"{child.tail()}\n(whole log: {child.log})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        stop.set()
        for child in reversed(children):
            child.stop()
        if redis_dir is not None:
            shutil.rmtree(redis_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
