"""Benchmark: order messages through the outbox and a real Celery worker, against a plain loop.

    .venv/bin/python bench/notifications.py --orders 200

Creates a fresh PostgreSQL database (dropped and recreated) and starts, all on 127.0.0.1, a
private redis-server, an SMTP server (aiosmtpd) and a stand-in for Twilio's Messages API, both
of which count what they receive, and a real Celery worker (prefork, concurrency 2) with
production settings pointing at them. Makes N orders through the services (the wizard's
setup service, ``place_order``, ``process_order``), then writes their messages (welcome
e-mail, temporary password by SMS or e-mail, Auftragsinformation) with the app's own queueing
function, commits, which hands them to the worker, and measures until every row is sent. The
baseline is a plain loop in this process that renders the same messages and sends them one
after another through the same backends to the same servers, half before and half after the
worker. Prints messages per second of both and the ratio. Fails with exit status 1 unless
each server received every message exactly once. See bench/README.md.
"""

from __future__ import annotations

import argparse
import collections
import io
import os
import platform
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import common  # noqa: F401 (first: re-starts the benchmark with the project's venv if needed)
import django
from common import (
    HOST,
    BenchError,
    Child,
    Redis,
    Worker,
    free_port,
    recreate_database,
    run_with_children,
    setup_django,
)
from sinks import TWILIO_FROM, Sinks

BENCH_CUSTOMER = ("Bench Nachrichten GmbH", "K-900002")
BLOCK_BASE, FIRST_EXTENSION, LAST_EXTENSION = "+49302345", 1000, 9999  # 8,780 numbers
MAX_ORDERS = 8000
PACKAGES = (None, "konferenz-basic", "konferenz-plus", "konferenz-premium")
POLL_SECONDS = 0.1


# --- Redis and the worker ------------------------------------------------------------------------


# --- Data -------------------------------------------------------------------------------------


HASHER_SETTINGS = {"md5": "bench.fast_hasher_settings", "argon2": "portal.settings"}


def settings_env(
    database_url: str, redis_url: str, sinks: Sinks, twilio: tuple[str, str], hasher: str
) -> dict[str, str]:
    """Production settings with the local servers: no DEBUG, SMTP without TLS, Twilio.

    With ``hasher`` md5 the password hasher is the test suite's (bench/fast_hasher_settings.py).
    """
    return {
        "DJANGO_SETTINGS_MODULE": HASHER_SETTINGS[hasher],
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SMTP_HOST": HOST,
        "SMTP_PORT": str(sinks.smtp_port),
        "SMTP_TLS": "false",
        "SMTP_TIMEOUT": "10",
        "DEFAULT_FROM_EMAIL": "portal@example.com",
        "PORTAL_BASE_URL": "https://portal.example.com",
        "TWILIO_ACCOUNT_SID": twilio[0],
        "TWILIO_AUTH_TOKEN": twilio[1],
        "TWILIO_FROM": TWILIO_FROM,
        "TWILIO_API_BASE_URL": sinks.base_url,
    }


def letters(i: int) -> str:
    """``i`` spelt in letters (7 -> "Aaaah"), for a distinct name of each workplace's user."""
    return "".join("abcdefghij"[int(digit)] for digit in f"{i:05d}").capitalize()


def load_data(total: int) -> list[int]:
    """Migrate, add packages and N completed orders of one active workplace each; order ids.

    The customer, its trunk with the number block and one admin per order are written in
    bulk; each order then goes the way an admin's does: the wizard's setup service fills a
    draft and puts it into the cart, ``place_order`` orders it, and ``process_order`` carries
    it out without its messages (those are what the phases below queue and send). Every
    second workplace has a mobile number (password by SMS), the others get it by e-mail.
    """
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction

    from catalog.models import Package
    from portal.celery import app
    from portal.errors import Refusal
    from portal.models import Customer, User
    from trunks.models import NumberBlock, SipTrunk
    from trunks.services import save_number_block

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo", force=True, stdout=io.StringIO())  # for the packages
    with transaction.atomic():
        name, number = BENCH_CUSTOMER
        customer = Customer.objects.create(name=name, number=number)
        trunk = SipTrunk.objects.create(customer=customer, name="Bench", workplace_quota=total)
        save_number_block(
            NumberBlock(
                trunk=trunk,
                base=BLOCK_BASE,
                first_extension=FIRST_EXTENSION,
                last_extension=LAST_EXTENSION,
            )
        )
        admins = User.objects.bulk_create(
            User(
                username=f"bench-admin-{i:05d}",
                first_name="Bench",
                last_name=f"Admin {i}",
                email=f"bench-admin-{i:05d}@example.com",
                customer=customer,
                password=make_password(None),
            )
            for i in range(total)
        )
    numbers = list(trunk.numbers.free().order_by("e164")[:total])
    if len(numbers) < total:
        raise BenchError(f"the bench block has {len(numbers)} numbers, {total} are needed")
    packages = [Package.objects.get(code=code) if code else None for code in PACKAGES]
    order_ids = []
    for i, admin in enumerate(admins):
        try:
            order_ids.append(order_through_services(i, admin, trunk, numbers[i], packages))
        except Refusal as exc:
            raise BenchError(f"order {i} refused by the services: {exc}") from exc
    # Each order was handed to a worker on commit, as in the app, but is processed already
    # (the tasks would find nothing to do): drop them, so the worker starts on an empty queue.
    app.control.purge()
    return order_ids


def order_through_services(i: int, admin, trunk, number, packages: list) -> int:
    """One workplace through the wizard's setup service, ordered and processed; the order id."""
    from orders import services as orders
    from portal.policy import Actor
    from workplaces.services import setup

    actor = Actor.for_admin(admin)
    draft = setup.start_draft(
        actor=actor,
        trunk=trunk,
        user_data={
            "first_name": "Jörg",
            "last_name": f"Müller {letters(i)}",  # names have no digits
            "street": "Friedrich-Ebert-Allee",
            "house_number": "140",
            "postcode": "53113",
            "city": "Bonn",
            "email": f"bench.w{i:05d}@example.com",
        },
    )
    mobile = f"+49170{i:07d}" if i % 2 == 0 else ""
    setup.reserve_username(
        actor=actor,
        draft=draft,
        username=f"bench.w{i:05d}",
        contacts={
            "auth_email": f"bench.w{i:05d}@example.com",
            "mobile": mobile,
            "without_mobile": not mobile,
        },
    )
    setup.reserve_number(actor=actor, draft=draft, number=number)
    setup.choose_package(actor=actor, draft=draft, package=packages[i % len(packages)])
    setup.add_to_cart(draft=draft, actor=actor)
    order = orders.place_order(actor=actor, token=orders.cart_of(admin).token)
    orders.process_order(order.pk, send_messages=False)
    return order.pk


def queue_messages(order_ids: list[int], *, commit: bool) -> tuple[list, float]:
    """``orders.services.processing._queue_messages`` for each order, in one transaction.

    With ``commit`` the transaction commits, and its on-commit hooks hand each row to the
    worker (``deliver.delay``); returns the rows and ``time.time()`` just before the commit.
    Without, it rolls back, so nothing is enqueued: the rows are the plain loop's messages.
    """
    from django.db import transaction

    from notifications.models import Notification
    from orders.models import Order
    from orders.services.processing import _queue_messages

    orders = Order.objects.filter(pk__in=order_ids).select_related("placed_by").order_by("pk")
    with transaction.atomic():
        for order in orders:
            _queue_messages(order)
        rows = list(Notification.objects.filter(order_id__in=order_ids).order_by("pk"))
        if not commit:
            transaction.set_rollback(True)
        started = time.time()
    return rows, started


# --- The two ways of sending -----------------------------------------------------------------


@dataclass
class Phase:
    """Messages, wall seconds and CPU seconds (None where /proc cannot tell)."""

    messages: int = 0
    wall: float = 0.0
    cpu: float | None = 0.0
    servers_cpu: float | None = 0.0
    redis_cpu: float | None = None

    def rate(self) -> float:
        return self.messages / self.wall


def add_cpu(total: float | None, before: float | None, after: float | None) -> float | None:
    if total is None or before is None or after is None:
        return None
    return total + after - before


def plain_loop(rows: list, phase: Phase, sinks: Sinks) -> None:
    """Render and send each message directly, one after another, in this process.

    As the worker does it: one SMTP connection kept from one e-mail to the next
    (``notifications.mailer.send``) and one Twilio client (``sms.get_backend()``), per
    thread. The temporary password is made and rendered into the message, but not hashed
    and stored.
    """
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives

    from notifications import mailer, messages, sms
    from notifications.models import Notification

    servers = sinks.cpu_seconds(own=True, children=False)
    cpu, started = time.process_time(), time.perf_counter()
    for row in rows:
        password = messages.temporary_password() if row.is_password else ""
        rendered = messages.render(row, password=password)
        if row.channel == Notification.Channel.SMS:
            sms.get_backend().send(row.recipient, rendered.text)
        else:
            message = EmailMultiAlternatives(
                subject=rendered.subject,
                body=rendered.text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[row.recipient],
            )
            message.attach_alternative(rendered.html, "text/html")
            mailer.send(message)
    phase.wall += time.perf_counter() - started
    phase.cpu += time.process_time() - cpu
    phase.servers_cpu = add_cpu(
        phase.servers_cpu, servers, sinks.cpu_seconds(own=True, children=False)
    )
    phase.messages += len(rows)


def through_worker(
    order_ids: list[int], worker: Worker, sinks: Sinks, redis: Redis, timeout: float
) -> tuple[list, Phase, float]:
    """Queue and commit; wait until every row is sent. The rows, the phase, enqueue seconds.

    The time runs from just before the commit that enqueues the tasks to the last ``sent_at``.
    """
    from django.db.models import Count, Max

    from notifications.models import Notification

    before = (
        worker.cpu_seconds(own=True),
        sinks.cpu_seconds(own=True, children=False),
        redis.cpu_seconds(own=True, children=False),
    )
    rows, started = queue_messages(order_ids, commit=True)
    enqueued = time.time() - started
    ids = [row.pk for row in rows]
    batch = Notification.objects.filter(pk__range=(min(ids), max(ids)))
    if batch.count() != len(ids):
        raise BenchError(f"rows {min(ids)} to {max(ids)} are not this batch's {len(ids)} rows")
    deadline = time.monotonic() + timeout
    while True:
        worker.check_running()
        counts = dict(batch.values_list("status").annotate(n=Count("pk")).order_by())
        problems = batch.exclude(last_error="").values_list("pk", "kind", "last_error")[:5]
        if problems:
            lines = "\n".join(f"  row {pk} ({kind}): {error}" for pk, kind, error in problems)
            raise BenchError(f"delivery errors (a retry would distort the timing):\n{lines}")
        if counts.get(Notification.Status.SENT, 0) == len(ids):
            break
        if time.monotonic() > deadline:
            raise BenchError(f"not all rows sent after {timeout:.0f} s: {counts}")
        time.sleep(POLL_SECONDS)
    last_sent = batch.aggregate(last=Max("sent_at"))["last"]
    after = (
        worker.cpu_seconds(own=True),
        sinks.cpu_seconds(own=True, children=False),
        redis.cpu_seconds(own=True, children=False),
    )
    phase = Phase(
        messages=len(ids),
        wall=last_sent.timestamp() - started,
        cpu=add_cpu(0.0, before[0], after[0]),
        servers_cpu=add_cpu(0.0, before[1], after[1]),
        redis_cpu=add_cpu(0.0, before[2], after[2]),
    )
    return rows, phase, enqueued


# --- Checks -----------------------------------------------------------------------------------


def check_received(stats: dict, rows: list, what: str) -> str:
    """The servers received each row's message exactly once, and nothing else."""
    from notifications.models import Notification

    emails = collections.Counter()
    email_to = collections.Counter()
    for to, subject, n in stats["emails"]:
        emails[(to, subject)] += n
        email_to[to] += n
    sms = collections.Counter(dict(stats["sms"]))
    want_email = collections.Counter(
        r.recipient for r in rows if r.channel == Notification.Channel.EMAIL
    )
    want_sms = collections.Counter(
        r.recipient for r in rows if r.channel == Notification.Channel.SMS
    )
    problems = [f"server error: {e}" for e in stats["errors"]]
    twice = [f"{to} ({subject}) x{n}" for (to, subject), n in emails.items() if n > 1]
    twice += [f"{to} x{n}" for to, n in sms.items() if n > 1]
    if twice:
        problems.append(f"received more than once: {', '.join(sorted(twice)[:5])}")
    if email_to != want_email:
        missing, extra = want_email - email_to, email_to - want_email
        problems.append(
            f"{email_to.total()} e-mails received, {want_email.total()} expected "
            f"(missing {sorted(missing)[:3]}, unexpected {sorted(extra)[:3]})"
        )
    if sms != want_sms:
        missing, extra = want_sms - sms, sms - want_sms
        problems.append(
            f"{sms.total()} SMS received, {want_sms.total()} expected "
            f"(missing {sorted(missing)[:3]}, unexpected {sorted(extra)[:3]})"
        )
    if problems:
        raise BenchError(f"{what}: " + "; ".join(problems))
    return f"{email_to.total()} e-mails and {sms.total()} SMS, each exactly once"


def check_rows(rows: list) -> str:
    """Every row sent in one attempt; every password message set its user's password."""
    from django.contrib.auth import get_user_model

    from notifications.models import Notification

    ids = [row.pk for row in rows]
    batch = Notification.objects.filter(pk__in=ids)
    sent = batch.filter(status=Notification.Status.SENT, attempts=1, claimed_by="").count()
    sms_ids = batch.filter(channel=Notification.Channel.SMS, provider_id__startswith="SM").count()
    password_users = {row.user_id for row in rows if row.is_password}
    users = get_user_model().objects.filter(pk__in=password_users, must_change_password=True)
    hashers = collections.Counter(
        user.password.split("$", 1)[0]
        for user in users.only("password")
        if user.has_usable_password()
    )
    with_password = hashers.total()
    want_sms = sum(1 for row in rows if row.channel == Notification.Channel.SMS)
    problems = []
    if sent != len(ids):
        problems.append(f"{sent} of {len(ids)} rows sent in exactly one attempt")
    if sms_ids != want_sms:
        problems.append(f"{sms_ids} of {want_sms} SMS rows have a Twilio sid")
    if with_password != len(password_users):
        problems.append(f"{with_password} of {len(password_users)} temporary passwords set")
    if problems:
        raise BenchError("database check failed: " + "; ".join(problems))
    return (
        f"{len(ids)} rows sent in one attempt each, {len(password_users)} temporary passwords "
        f"set ({', '.join(sorted(hashers))})"
    )


def temporary_hash_cost(samples: int = 20) -> tuple[float, float]:
    """Wall and CPU milliseconds of one hash of a temporary password, here (the hasher the
    settings choose for them: PBKDF2 with 1,000 iterations, see portal/hashers.py)."""
    from portal.hashers import temporary_hasher

    hasher = temporary_hasher()
    hasher.encode("warm-up-only", hasher.salt())
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(samples):
        hasher.encode(secrets.token_urlsafe(9), hasher.salt())
    return (
        (time.perf_counter() - wall) / samples * 1000,
        (time.process_time() - cpu) / samples * 1000,
    )


# --- Report -----------------------------------------------------------------------------------


def describe_rows(rows: list) -> str:
    kinds = collections.Counter(row.kind for row in rows)
    labels = {
        "welcome": "welcome e-mails",
        "password_sms": "password SMS",
        "password_email": "password e-mails",
        "order_confirmation": "Auftragsinformationen",
    }
    return ", ".join(f"{n} {labels.get(kind, kind)}" for kind, n in kinds.items())


def report(
    worker: Phase,
    plain: Phase,
    concurrency: int,
    passwords: int,
    hash_cost: tuple[float, float],
) -> None:
    def ms(seconds: float | None, n: int) -> str:
        return "–" if seconds is None else f"{seconds / n * 1000:.2f}"

    header = (
        f"{'':<34} {'messages':>8} {'seconds':>8} {'msg/s':>8} {'CPU ms/msg':>11} "
        f"{'servers':>8} {'redis':>6}"
    )
    print(header)
    print("-" * len(header))
    for label, phase in (
        (f"worker (prefork, concurrency {concurrency})", worker),
        ("plain loop (this process, 1 thread)", plain),
    ):
        print(
            f"{label:<34} {phase.messages:>8} {phase.wall:>8.2f} {phase.rate():>8.1f} "
            f"{ms(phase.cpu, phase.messages):>11} {ms(phase.servers_cpu, phase.messages):>8} "
            f"{'' if phase.redis_cpu is None else ms(phase.redis_cpu, phase.messages):>6}"
        )
    print("-" * len(header))
    print(f"{'worker msg/s ÷ plain loop msg/s':<34} {worker.rate() / plain.rate():>26.2f}")
    print()
    print(
        "CPU ms/msg: the worker's main and pool processes, or this process for the plain loop;\n"
        "servers: the SMTP server and Twilio stand-in; redis: the private redis-server.\n"
        "PostgreSQL's CPU time is not counted."
    )
    wall_ms, cpu_ms = hash_cost
    print(
        f"\nThe worker hashed {passwords} temporary passwords with the hasher for them (listed "
        f"below);\none hash takes about {wall_ms:.1f} ms ({cpu_ms:.1f} ms CPU) here. The plain "
        "loop makes and renders\nthe passwords but neither hashes nor stores them."
    )


# --- Main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--orders", type=int, default=1000, help="measured orders, 3 messages each (default 1000)"
    )
    parser.add_argument("--warmup", type=int, default=4, help="unmeasured orders first (default 4)")
    parser.add_argument(
        "--concurrency", type=int, default=2, help="worker pool processes (default 2)"
    )
    parser.add_argument(
        "--hasher",
        choices=sorted(HASHER_SETTINGS),
        default="md5",
        help="settings of the worker: md5, the production settings with the test suite's MD5 "
        "hasher first (default), or argon2, portal.settings unchanged; temporary passwords "
        "get their own hasher either way",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=900,
        help="seconds the worker may take for all messages (default 900)",
    )
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL without database (default: %(default)s)",
    )
    parser.add_argument(
        "--database",
        default="portal_bench_notify",
        help="database to drop and create; must contain 'bench' (default: %(default)s)",
    )
    parser.add_argument(
        "--keep-logs", action="store_true", help="keep the logs of the child processes in /tmp"
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="write CPU-time cProfile files of the worker's main and pool processes into DIR "
        "(bench/worker_profile.py; with --hasher md5; the profiler slows the worker down)",
    )
    args = parser.parse_args(argv)
    args.postgres = args.postgres.rstrip("/")
    if not 1 <= args.orders <= MAX_ORDERS - args.warmup or args.warmup < 0:
        parser.error(f"--orders must be 1 to {MAX_ORDERS} with the warm-up, --warmup at least 0")
    if args.concurrency < 1 or args.timeout <= 0:
        parser.error("--concurrency must be at least 1, --timeout positive")
    if args.profile and args.hasher != "md5":
        parser.error("--profile works with --hasher md5 (its settings module installs it)")
    if "bench" not in args.database or not re.fullmatch(r"[a-z_][a-z0-9_]*", args.database):
        parser.error("--database must be a plain lowercase name containing 'bench'")
    return args


def run(args: argparse.Namespace, children: list[Child], redis_dir: Path) -> None:
    tmp = Path(tempfile.gettempdir())
    twilio = ("AC" + secrets.token_hex(16), secrets.token_hex(16))
    started = time.perf_counter()

    redis_port = free_port()
    redis = Redis(redis_port, redis_dir, tmp / f"bench-redis-{redis_port}.log")
    children.append(redis)
    sinks = Sinks(tmp / f"bench-servers-{redis_port}.log", *twilio)
    children.append(sinks)
    redis_version = redis.wait_ready()
    sinks.wait_ready()

    database_url = f"{args.postgres}/{args.database}"
    env = settings_env(database_url, redis.url, sinks, twilio, args.hasher)
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        env["BENCH_PROFILE_DIR"] = str(Path(args.profile).resolve())
    pg_version = recreate_database(args.postgres, args.database)
    setup_django({**env, "LOG_LEVEL": "WARNING"})  # no Twilio request logs in the output
    order_ids = load_data(args.warmup + args.orders)
    warm_ids, measured_ids = order_ids[: args.warmup], order_ids[args.warmup :]
    print(
        f"setup: database {args.database} recreated and migrated, packages, "
        f"{len(order_ids)} completed orders of one workplace each, through the services "
        f"({time.perf_counter() - started:.1f} s)"
    )

    worker = Worker(env, args.concurrency, tmp / f"bench-celery-{redis_port}.log")
    children.append(worker)
    worker.wait_ready()

    import aiosmtpd
    import celery

    print(
        f"stack: Celery {celery.__version__} worker (prefork, concurrency {args.concurrency}), "
        f"redis-server {redis_version} at {HOST}:{redis_port}, aiosmtpd {aiosmtpd.__version__} "
        f"at {HOST}:{sinks.smtp_port},\n       Twilio stand-in at {sinks.base_url}, "
        f"Django {django.get_version()}, Python {platform.python_version()}, "
        f"PostgreSQL {pg_version}, {os.cpu_count()} CPUs shared by all"
    )
    hashing = {
        "md5": "MD5 first, as in the tests (bench/fast_hasher_settings.py)",
        "argon2": "Argon2 first, as in production",
    }
    print(
        f"settings: {env['DJANGO_SETTINGS_MODULE']}, DJANGO_DEBUG unset, SMTP without TLS, "
        f"the Twilio client with\n          TWILIO_API_BASE_URL, Celery's default log level; "
        f"password hasher: {hashing[args.hasher]}"
    )

    # Warm-up: loads templates and the Twilio client in the pool processes and here.
    if warm_ids:
        sinks.reset()
        warm_rows, _phase, _enqueued = through_worker(warm_ids, worker, sinks, redis, 60)
        check_received(sinks.stats(), warm_rows, "warm-up through the worker")
        sinks.reset()
        plain_loop(warm_rows, Phase(), sinks)
        check_received(sinks.stats(), warm_rows, "warm-up in the plain loop")

    # The plain loop's messages: the same function writes them, then the transaction rolls back.
    plain_rows, _started = queue_messages(measured_ids, commit=False)
    print(f"messages: {len(measured_ids)} orders, {len(plain_rows)} messages: ", end="")
    print(describe_rows(plain_rows))
    half = len(plain_rows) // 2
    plain = Phase()
    stats: list[dict] = []
    for part in ("first", "worker", "second"):
        sinks.reset()
        if part == "worker":
            rows, worker_phase, enqueued = through_worker(
                measured_ids, worker, sinks, redis, args.timeout
            )
            received = check_received(sinks.stats(), rows, "through the worker")
        else:
            plain_loop(plain_rows[:half] if part == "first" else plain_rows[half:], plain, sinks)
            stats.append(sinks.stats())
    plain_received = check_received(
        {key: stats[0][key] + stats[1][key] for key in ("emails", "sms", "errors")},
        plain_rows,
        "plain loop",
    )
    print(
        f"\nworker: {worker_phase.messages} messages committed at once; the time runs from the "
        f"commit\nthat enqueues them ({enqueued:.2f} s to publish the tasks) to the last "
        f"sent_at.\nplain loop: the same messages, half before and half after the worker.\n"
    )
    passwords = sum(1 for row in rows if row.is_password)
    report(worker_phase, plain, args.concurrency, passwords, temporary_hash_cost())
    print(f"\nreceived from the worker: {received}; {check_rows(rows)}")
    print(f"received from the plain loop: {plain_received}")
    print(f"whole run: {time.perf_counter() - started:.0f} s")
    for child in children:
        child.keep_log = args.keep_logs
        if args.keep_logs:
            print(f"log of {child.name}: {child.log}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    children: list[Child] = []
    redis_dir = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    try:
        return run_with_children(lambda: run(args, children, redis_dir), children)
    finally:
        shutil.rmtree(redis_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
