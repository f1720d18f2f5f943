"""``bench/import.py --topology production``: a whole company at once, over HTTP, to the end.

Starts, all on 127.0.0.1, a private redis-server (broker, cache, sessions), Kamailio on its own
PostgreSQL database (bench/kamailio.py), the SMTP server and Twilio stand-in of
bench/notifications.py (they count what they receive), one Celery worker and gunicorn with the
worker class and counts of bench/topology.py (the README's production settings). Then, as an
admin's browser: uploads the list ("Prüfen"), puts it into the cart ("In den Warenkorb"),
opens the cart and orders it ("Kostenpflichtig bestellen"), and waits until every workplace is
on the registrar (its subscriber row) and every message of the order is sent. Each time is
counted from the POST that starts the step (the order's two from "bestellen"). Figures are
printed, never asserted; the run fails when a page answers unexpectedly, a message fails, or
a sink received a message other than once.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path

import requests
import topology
from common import HOST, BenchError, Child, Redis, Worker, free_port, setup_django
from kamailio import Registrar
from sinks import Sinks

#: The issue's targets on a two-core machine with one worker (seconds).
TARGETS = {"check": 5, "cart": 15, "active": 120, "sent": 300}
#: "Kostenpflichtig bestellen" answers within this for such a cart.
PLACE_TARGET = 2
PASSWORD = "Bench-Import-" + secrets.token_urlsafe(12)
PROGRESS = re.compile(r'<p class="order-progress">(.*?)</p>', re.S)


def _bench_module(name: str):
    """A sibling benchmark as a module (bench/notifications.py would lose to the app)."""
    spec = importlib.util.spec_from_file_location(
        f"bench_{name}", Path(__file__).with_name(f"{name}.py")
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


class Admin:
    """The admin's browser over plain HTTP, as behind the TLS proxy (see bench/wizard.py)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.origin = base_url.replace("http://", "https://", 1)
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": "portal-bench/1", "X-Forwarded-Proto": "https"})
        self.csrf = ""

    def request(self, method: str, path: str, status: int, **kwargs) -> requests.Response:
        headers = {"Referer": self.origin + path}
        if method == "POST":
            headers["Origin"] = self.origin
            kwargs.setdefault("data", {})["csrfmiddlewaretoken"] = self.csrf
        if self.session.cookies:
            headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in self.session.cookies)
        response = self.session.request(
            method,
            self.base_url + path,
            headers=headers,
            allow_redirects=False,
            timeout=120,
            **kwargs,
        )
        if response.status_code != status:
            raise BenchError(f"{method} {path}: {response.status_code} instead of {status}")
        if found := re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text):
            self.csrf = found.group(1)
        return response

    def log_in(self, username: str) -> None:
        self.request("GET", "/anmelden/", 200)
        data = {"username": username, "password": PASSWORD, "next": ""}
        self.request("POST", "/anmelden/", 302, data=data)


def wait_for(what: str, done, timeout: float, every: float = 0.2) -> float:
    """Poll ``done()`` until true; the monotonic time it was first seen true."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise BenchError(f"{what}: not done after {timeout:.0f} s")
        time.sleep(every)
    return time.monotonic()


def run(args, bench_import, children: list[Child]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    size = args.rows
    redis = Redis(free_port(), tmp, tmp / "redis.log")
    children.append(redis)
    redis_version = redis.wait_ready()
    registrar = Registrar(f"{args.database}_kamailio", tmp)
    children.append(registrar)
    kamailio_version = registrar.start()
    bench_notifications = _bench_module("notifications")
    twilio = ("AC" + secrets.token_hex(16), secrets.token_hex(16))
    sinks = Sinks(tmp / "sinks.log", *twilio)
    children.append(sinks)
    sinks.wait_ready()
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    env = {
        **bench_notifications.settings_env(
            args.database_url, redis.url, sinks, twilio, args.hasher
        ),
        **registrar.env(),
        "ALLOWED_HOSTS": HOST,
        "PORTAL_BASE_URL": f"https://{HOST}:{port}",
        "SECURE_SSL_REDIRECT": "false",
        "BEHIND_TLS_PROXY": "true",
        "LOG_LEVEL": "WARNING",
    }
    setup_django(env)
    world = load_data(bench_import, size)
    print(f"setup: database {args.database} and its registrar's recreated, {size} rows to import")
    worker = Worker(topology.worker_env(env, redis.url), args.concurrency, tmp / "celery.log")
    children.append(worker)
    worker.wait_ready(broker=redis.url)
    web = topology.Web(topology.WORKER_CLASS, topology.WORKERS, topology.THREADS)
    gunicorn = _bench_module("wizard").Gunicorn(
        topology.production_env(env, redis.url, topology.DATABASE_POOL), port, web, tmp / "web.log"
    )
    children.append(gunicorn)
    gunicorn.wait_ready(base_url)
    print(
        f"stack: gunicorn ({web.describe()}), Celery worker (prefork, concurrency "
        f"{args.concurrency}), Redis {redis_version}, Kamailio {kamailio_version}, "
        f"hasher {args.hasher}; on a shared machine"
    )
    figures = drive(Admin(base_url), world, bench_import, registrar, size, gunicorn)
    report(figures, size, sinks.stats())
    for child in children:
        child.keep_log = args.keep_logs


def load_data(bench_import, size: int):
    from django.core.management import call_command

    from portal.models import User

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo", force=True, stdout=io.StringIO())
    call_command("collectstatic", interactive=False, verbosity=0)
    world = bench_import.World([size], 1)
    admin = User.objects.get(pk=world.admin.pk)
    admin.email = "import-bench-admin@example.com"
    admin.set_password(PASSWORD)
    admin.save()
    return world


def postgres_cpu_seconds() -> float:
    """CPU seconds so far of the PostgreSQL backends connected to the bench database (the
    web's and the worker's; /proc, as the server runs on this machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        pids = [pid for (pid,) in cursor.fetchall()]
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile, or not readable
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def drive(
    admin: Admin, world, bench_import, registrar: Registrar, size: int, gunicorn: Child
) -> dict:
    from django.urls import reverse

    from notifications.models import Notification
    from orders.models import Cart, Order
    from workplaces.models import ImportRun, SetupDraft

    trunk = world.trunks[size]
    admin.log_in(world.admin.username)
    numbers = list(trunk.numbers.order_by("e164").values_list("e164", flat=True))
    data = bench_import.csv_file(bench_import.list_rows(size, numbers))
    upload = reverse("listimport:upload", args=[trunk.code])
    admin.request("GET", upload, 200)
    figures = {}
    started = time.monotonic()
    response = admin.request("POST", upload, 302, files={"file": ("liste.csv", data)})
    run_path = response.headers["Location"]
    runs = ImportRun.objects.filter(trunk=trunk)
    checked = wait_for("check", lambda: runs.filter(status__in=["checked", "failed"]).exists(), 600)
    figures["check"] = checked - started
    run = runs.get()
    if run.status != ImportRun.Status.CHECKED or run.result["ok"] != size:
        raise BenchError(f"check: status {run.status}, {run.result.get('ok')} fault-free")
    admin.request("GET", run_path, 200)
    started = time.monotonic()
    admin.request("POST", run_path + "warenkorb/", 302, data={"mode": "all"})
    carted = wait_for("cart", lambda: runs.filter(status__in=["added", "failed"]).exists(), 900)
    figures["cart"] = carted - started
    in_cart = SetupDraft.objects.filter(trunk=trunk, status=SetupDraft.Status.IN_CART).count()
    if in_cart != size:
        raise BenchError(f"cart: {in_cart} drafts in the cart instead of {size}")
    page_started = time.monotonic()
    admin.request("GET", reverse("orders:cart"), 200)
    figures["cart page"] = time.monotonic() - page_started
    token = str(Cart.objects.get(owner=world.admin).token)
    web_cpu, db_cpu = gunicorn.cpu_seconds(), postgres_cpu_seconds()
    started = time.monotonic()
    response = admin.request("POST", reverse("orders:place"), 302, data={"token": token})
    figures["bestellen"] = time.monotonic() - started
    figures["bestellen web cpu"] = (gunicorn.cpu_seconds() or 0) - (web_cpu or 0)
    figures["bestellen db cpu"] = postgres_cpu_seconds() - db_cpu
    order = Order.objects.get(placed_by=world.admin)
    order_path = response.headers["Location"]
    page_started = time.monotonic()
    progress = PROGRESS.search(admin.request("GET", order_path, 200).text)
    figures["order page"] = time.monotonic() - page_started
    figures["progress"] = re.sub(r"\s+", " ", progress.group(1)) if progress else "(none shown)"
    figures["active"] = (
        wait_for("active", lambda: registrar.subscribers() >= size, 3600, 1) - started
    )
    messages = Notification.objects.filter(order=order)
    expected = 2 * size + 1

    def all_sent() -> bool:
        if messages.filter(status=Notification.Status.FAILED).exists():
            raise BenchError("a message of the order failed")
        return messages.filter(status=Notification.Status.SENT).count() == expected

    figures["sent"] = wait_for("sent", all_sent, 7200, 1) - started
    progress = PROGRESS.search(admin.request("GET", order_path, 200).text)
    figures["progress at the end"] = re.sub(r"\s+", " ", progress.group(1)) if progress else ""
    return figures


def report(figures: dict, size: int, received: dict) -> None:
    print(
        f"\nbulk {size}: check={figures['check']:.1f} s cart={figures['cart']:.1f} s "
        f"active={figures['active']:.1f} s sent={figures['sent']:.1f} s"
    )
    print(
        f"'bestellen' answered in {figures['bestellen']:.2f} s; cart page "
        f"{figures['cart page']:.2f} s, order page {figures['order page']:.2f} s"
    )
    print(
        f"'bestellen' CPU: web workers {figures['bestellen web cpu']:.2f} s, PostgreSQL "
        f"backends of the database {figures['bestellen db cpu']:.2f} s (the worker's too)"
    )
    print(f"order page right after 'bestellen': {figures['progress']}")
    print(f"order page at the end: {figures['progress at the end']}")
    emails = sum(n for _to, _subject, n in received["emails"])
    sms = sum(n for _to, n in received["sms"])
    twice = [r for r in received["emails"] if r[-1] > 1] + [r for r in received["sms"] if r[-1] > 1]
    print(f"the sinks received {emails} e-mails and {sms} SMS, {len(twice)} of them more than once")
    if twice or received["errors"] or emails + sms != 2 * size + 1:
        raise BenchError(f"the sinks: {twice[:3]} twice, errors {received['errors'][:3]}")

    def mark(ok: bool) -> str:
        return "reached    " if ok else "NOT reached"

    for name, target in TARGETS.items():
        print(f"{mark(figures[name] < target)} {name} < {target} s ({figures[name]:.1f} s)")
    ok = figures["bestellen"] < PLACE_TARGET
    print(f"{mark(ok)} 'bestellen' answers < {PLACE_TARGET} s ({figures['bestellen']:.2f} s)")
