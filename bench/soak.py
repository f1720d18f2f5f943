"""Soak: orders across two web nodes and two workers while parts of the system fail.

    .venv/bin/python bench/soak.py                          # 20 orders, short faults
    .venv/bin/python bench/soak.py --orders 1000            # the full run

Starts on 127.0.0.1: a private redis-server, a fresh PostgreSQL database (dropped and
recreated), Kamailio on its own fresh database (as the tests run it), the SMTP sink and the
Twilio stand-in of bench/notifications.py, two gunicorn web nodes (gthread, REDIS_URL,
DATABASE_POOL, as bench/topology.py's production settings) and two Celery workers. Then
places orders on client threads, in a cycle of ten: six wizard flows, three API orders
(one new workplace each, with an Idempotency-Key), one list import of 50 rows; while the
fault schedule of bench/soak_faults.py runs. The sweeps of portal/celery.py's beat schedule
run every few seconds from this process. Afterwards it waits until nothing is on its way and
prints one line:

    soak: orders=N final=N lost=N duplicates=N drift=N p95_ms=N

and exits 1 unless lost, duplicates and drift are 0, every order is final and every client
action ended in an order. What is counted: bench/soak_check.py. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import common
import soak_check
import soak_clients as clients
import soak_faults as faults
import topology
import wizard
from common import (
    BASE_DIR,
    HOST,
    BenchError,
    Child,
    Redis,
    Worker,
    free_port,
    recreate_database,
    setup_django,
)
from sinks import TWILIO_FROM, Sinks

sys.path.insert(0, str(BASE_DIR))
from tests.provisioning.kamailio_server import create_kamailio, drop_database

WIZARD_CUSTOMER = ("Soak GmbH", "K-900010")
IMPORT_CUSTOMER = ("Soak Import AG", "K-900011")
IMPORT_ROWS = 50
CYCLE = ["wizard"] * 6 + ["api"] * 3 + ["import"]
SWEEPS = (
    "notifications.tasks.sweep",
    "orders.tasks.sweep_orders",
    "provisioning.tasks.sweep",
    "webhooks.tasks.sweep",
    "workplaces.tasks.sweep_import_runs",
)


def settings_env(args, database_url: str, redis_url: str, sinks, twilio, kamailio) -> dict:
    return {
        "DJANGO_SETTINGS_MODULE": "bench.soak_settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ALLOWED_HOSTS": f"{HOST},{clients.HOST_NAME}",
        "PORTAL_BASE_URL": f"https://{clients.HOST_NAME}",
        "SECURE_SSL_REDIRECT": "false",
        "BEHIND_TLS_PROXY": "true",
        "LOG_LEVEL": "WARNING",
        "SMTP_HOST": HOST,
        "SMTP_PORT": str(sinks.smtp_port),
        "SMTP_TLS": "false",
        "SMTP_TIMEOUT": "10",
        "DEFAULT_FROM_EMAIL": "portal@example.com",
        "TWILIO_ACCOUNT_SID": twilio[0],
        "TWILIO_AUTH_TOKEN": twilio[1],
        "TWILIO_FROM": TWILIO_FROM,
        "TWILIO_API_BASE_URL": sinks.base_url,
        "PROVISIONING_BACKEND": "kamailio",
        "KAMAILIO_DATABASE_URL": kamailio.database_url,
        "KAMAILIO_RPC_URL": kamailio.rpc_url,
        "KAMAILIO_TIMEOUT": "2",
        "SIP_DOMAIN": kamailio.domain,
        "API_REQUESTS_PER_MINUTE": "100000",
        "WIZARD_USERNAME_CHECKS_PER_HOUR": "100000",
        "LISTIMPORT_CHECKS_PER_HOUR": "10000",
        # Retries of messages within the run's time (the defaults are 10 s up to 300 s).
        "NOTIFICATION_RETRY_BASE_SECONDS": str(args.retry_base),
        "NOTIFICATION_RETRY_MAX_SECONDS": str(args.retry_max),
    }


def plan(total: int) -> list[str]:
    return [CYCLE[i % len(CYCLE)] for i in range(total)]


def load_data(kinds: list[str]) -> dict:
    """Migrate, seed, two customers (wizard and API; imports) with an admin per action."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connections, transaction

    from portal.models import Customer, User, UsernameClaim
    from trunks.models import NumberBlock, SipTrunk
    from trunks.services import save_number_block

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo", force=True, stdout=io.StringIO())
    call_command("collectstatic", interactive=False, verbosity=0)
    password = secrets.token_urlsafe(16)
    hashed = make_password(password)
    world = {"password": password, "admins": {}, "trunks": {}}
    with transaction.atomic():
        for (name, number), base in (
            (WIZARD_CUSTOMER, "+49302345"),
            (IMPORT_CUSTOMER, "+49302346"),
        ):
            customer = Customer.objects.create(name=name, number=number)
            trunk = SipTrunk.objects.create(customer=customer, name="Soak", workplace_quota=9000)
            save_number_block(
                NumberBlock(trunk=trunk, base=base, first_extension=1000, last_extension=9999)
            )
            world["trunks"][number] = trunk
        users = []
        for i, kind in enumerate([*kinds, "api-key"]):
            customer = world["trunks"][
                IMPORT_CUSTOMER[1] if kind == "import" else WIZARD_CUSTOMER[1]
            ]
            username = f"soak-admin-{i:05d}"
            users.append(
                User(
                    username=username,
                    first_name="Soak",
                    last_name="Admin",
                    email=f"{username}@example.com",
                    customer=customer.customer,
                    password=hashed,
                )
            )
            world["admins"][i] = username
        created = User.objects.bulk_create(users)
        UsernameClaim.objects.bulk_create(UsernameClaim(name=u.username, user=u) for u in created)
        trunk = world["trunks"][WIZARD_CUSTOMER[1]]
        world["numbers"] = list(
            trunk.numbers.free().order_by("e164").values_list("e164", flat=True)[: len(kinds)]
        )
        world["wizard_trunk"] = str(trunk.code)
        imports = world["trunks"][IMPORT_CUSTOMER[1]]
        world["import_trunk"] = str(imports.code)
        world["import_numbers"] = list(
            imports.numbers.free().order_by("e164").values_list("e164", flat=True)
        )
    connections.close_all()
    world["api_admin"] = world["admins"][len(kinds)]
    return world


def create_api_key(env: dict, admin: str) -> str:
    """``manage.py create_api_key``, as an operator runs it; the key (its last line)."""
    child_env = {k: os.environ[k] for k in common.PASSED_VARIABLES if k in os.environ}
    result = subprocess.run(
        [sys.executable, "manage.py", "create_api_key", admin, "--name", "Soak"],
        cwd=BASE_DIR,
        env={**child_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode:
        raise BenchError(f"create_api_key failed: {result.stderr[-500:]}")
    return result.stdout.strip().splitlines()[-1]


def import_file(index: int, numbers: list[str]) -> bytes:
    """50 rows of bench/import.py's list with usernames, addresses and numbers of their own.

    Two imports checked at the same time would otherwise be offered the same suggested
    usernames and the same next free numbers, and the cart step of the later one refuses them.
    """
    module = __import__("import")
    rows = module.list_rows(IMPORT_ROWS, numbers)
    for i, row in enumerate(rows):
        row[6] = f"imp{index}.{i}@example.com"
        row[7] = f"soak.i{index}.{i}"
        row[9] = f"0171 {index * 100 + i + 1000000}" if i % 2 else ""
        row[10] = "0" + numbers[i][3:]
    return module.csv_file(rows)


def actions(kinds: list[str], world: dict, key: str, nodes, latencies, stop) -> list:
    tasks = []
    for i, kind in enumerate(kinds):
        admin = world["admins"][i]
        if kind == "wizard":
            package = wizard.PACKAGES[i % len(wizard.PACKAGES)]
            spec = wizard.FlowSpec(
                admin, world["password"], f"soak.w{i:05d}", world["numbers"][i], package
            )
            tasks.append(lambda spec=spec: clients.wizard_order(nodes, latencies, stop, spec))
        elif kind == "api":
            item = {
                **wizard.USER_DATA,
                "kind": "new_workplace",
                "trunk": world["wizard_trunk"],
                "first_name": "Api",
                "last_name": "Schnittstelle",
                "email": "",
                "username": f"soak.a{i:05d}",
                "auth_email": f"soak.a{i:05d}@example.com",
                "mobile": f"0172 {1000000 + i}" if i % 2 else None,
                "number": world["numbers"][i],
                "package": None if i % 4 == 0 else "konferenz-basic",
            }
            tasks.append(
                lambda item=item: clients.api_order(nodes, latencies, key, world["api_admin"], item)
            )
        else:
            first = (i // len(CYCLE)) * IMPORT_ROWS
            numbers = world["import_numbers"][first : first + IMPORT_ROWS]
            data = import_file(i, numbers)
            tasks.append(
                lambda admin=admin, data=data, i=i: clients.import_order(
                    nodes, latencies, stop, admin, world["password"], world["import_trunk"], i, data
                )
            )
    return tasks


def sweeper(stop: threading.Event, every: float) -> None:
    """The beat schedule's sweeps, every ``every`` seconds, from this process."""
    from django.db import close_old_connections
    from django.utils.module_loading import import_string

    while not stop.wait(every):
        for name in SWEEPS:
            close_old_connections()
            try:
                import_string(name)()
            except Exception as exc:
                print(f"  sweep {name}: {type(exc).__name__}", file=sys.stderr, flush=True)


def drain(timeout: float) -> dict:
    from django.db import close_old_connections

    deadline = time.monotonic() + timeout
    while True:
        close_old_connections()
        waiting = {k: n for k, n in soak_check.pending_work().items() if n}
        if not waiting or time.monotonic() > deadline:
            return waiting
        time.sleep(2)


class Stack:
    """Everything the soak starts, stopped in reverse order at the end."""

    def __init__(self) -> None:
        self.children: list = []
        self.tmp = Path(tempfile.mkdtemp(prefix="soak-"))

    def add(self, child):
        self.children.append(child)
        return child

    def stop(self, keep_logs: bool) -> None:
        for child in reversed(self.children):
            with contextlib.suppress(subprocess.SubprocessError, OSError, BenchError):
                if isinstance(child, Child):
                    child.keep_log = child.keep_log and keep_logs
                child.stop()


def start_web(stack: Stack, env: dict, port: int) -> faults.Restartable:
    web = topology.Web(topology.WORKER_CLASS, topology.WORKERS, topology.THREADS)
    web_env = {**env, "DATABASE_POOL": str(topology.DATABASE_POOL)}
    base_url = f"http://{HOST}:{port}"

    def make() -> Child:
        return wizard.Gunicorn(web_env, port, web, stack.tmp / f"web-{port}.log")

    ready = lambda child: child.wait_ready(base_url, 60)  # noqa: E731
    return stack.add(faults.Restartable(f"web node {port}", make, ready))


def start_worker(stack: Stack, env: dict, n: int) -> faults.Restartable:
    def make() -> Child:
        return Worker(env, topology.CELERY_CONCURRENCY, stack.tmp / f"worker-{n}.log")

    return stack.add(faults.Restartable(f"worker {n}", make, lambda child: child.wait_ready(90)))


def start_redis(stack: Stack, port: int) -> faults.Restartable:
    def make() -> Child:
        return Redis(port, stack.tmp, stack.tmp / f"redis-{port}-{time.monotonic_ns()}.log")

    return stack.add(faults.Restartable("redis", make, lambda child: child.wait_ready()))


def run(args, stack: Stack) -> int:
    started = time.monotonic()
    kinds = plan(args.orders)
    twilio = ("AC" + secrets.token_hex(16), secrets.token_hex(16))
    redis = start_redis(stack, free_port())
    sinks = stack.add(Sinks(stack.tmp / "sinks.log", *twilio))
    sinks.wait_ready()
    kamailio_db = f"{args.database}_kamailio"
    kamailio = create_kamailio(kamailio_db, stack.tmp)
    stack.add(kamailio)
    kamailio.start()
    recreate_database(args.postgres, args.database)
    redis_url = redis.child.url
    env = settings_env(args, f"{args.postgres}/{args.database}", redis_url, sinks, twilio, kamailio)
    setup_django(env)
    world = load_data(kinds)
    key = create_api_key(env, world["api_admin"])
    ports = [free_port(), free_port()]
    webs = [start_web(stack, env, port) for port in ports]
    workers = [start_worker(stack, env, n) for n in (1, 2)]
    print(f"soak: started in {time.monotonic() - started:.0f} s; {len(kinds)} orders", flush=True)

    stop = threading.Event()
    done_sweeping = threading.Event()
    sweeping = threading.Thread(target=sweeper, args=(done_sweeping, args.sweep_every), daemon=True)
    sweeping.start()
    slots = [redis, *webs, *workers]
    supervising = threading.Thread(
        target=faults.supervise, args=(slots, done_sweeping), daemon=True
    )
    supervising.start()
    hold, gap = (5, 2) if args.short_faults else (20, 10)
    schedule = faults.Schedule(hold=hold, gap=gap, stop=stop, started=time.monotonic())
    cut, heal = faults.registrar_database(args.postgres, kamailio_db)
    tracks = [
        [
            ("worker 1 killed", workers[0].kill, workers[0].restart),
            ("web node 1 killed", webs[0].kill, webs[0].restart),
            ("redis stopped", redis.kill, redis.restart),
        ],
        [
            ("SMTP answers 451", lambda: sinks.fault(smtp=451), lambda: sinks.fault()),
            ("SMTP answers 554", lambda: sinks.fault(smtp=554), lambda: sinks.fault()),
            ("Twilio answers 429", lambda: sinks.fault(sms=429), lambda: sinks.fault()),
            ("Twilio answers 500", lambda: sinks.fault(sms=500), lambda: sinks.fault()),
        ],
        [("registrar database unreachable", cut, heal)],
    ]
    latencies = clients.Latencies()
    nodes = clients.Nodes([f"http://{HOST}:{port}" for port in ports])
    placed, failures = [], []
    threads = schedule.run(tracks)
    with ThreadPoolExecutor(args.concurrency, thread_name_prefix="soak") as pool:
        futures = [pool.submit(task) for task in actions(kinds, world, key, nodes, latencies, stop)]
        for future in as_completed(futures):
            try:
                placed.append(future.result())
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
    for thread in threads:
        thread.join()
    faults.check(schedule)
    print(f"soak: orders placed at +{time.monotonic() - schedule.started:.0f} s", flush=True)
    waiting = drain(args.drain_timeout)
    done_sweeping.set()
    from django.db import close_old_connections

    close_old_connections()
    tally = soak_check.count(
        placed,
        [WIZARD_CUSTOMER[1], IMPORT_CUSTOMER[1]],
        [row[0] for row in kamailio.sql("SELECT username FROM subscriber")],
        sinks.stats(),
    )
    for problem in [*failures[:10], *tally.problems]:
        print(f"  {problem}", file=sys.stderr)
    if waiting:
        print(f"  still on its way after the drain: {waiting}", file=sys.stderr)
    exits = {slot.name: slot.exits for slot in slots if slot.exits}
    print(f"  sinks refused: {sinks.stats()['refused']}; client retries: {latencies.retries}")
    print(f"  exited by themselves and started again: {exits or 'none'}")
    print(f"  whole run: {time.monotonic() - started:.0f} s", flush=True)
    print(
        f"soak: orders={tally.orders} final={tally.final} lost={tally.lost} "
        f"duplicates={tally.duplicates} drift={tally.drift} p95_ms={latencies.p95_ms()}",
        flush=True,
    )
    ok = not (tally.lost or tally.duplicates or tally.drift or failures or waiting)
    return 0 if ok and tally.final == tally.orders == len(kinds) else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=20, help="client actions (default 20)")
    parser.add_argument("--short-faults", action="store_true", help="5 s faults instead of 20 s")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--sweep-every", type=float, default=5, help="seconds between sweeps")
    parser.add_argument("--retry-base", type=int, default=2, help="NOTIFICATION_RETRY_BASE_SECONDS")
    parser.add_argument("--retry-max", type=int, default=30, help="NOTIFICATION_RETRY_MAX_SECONDS")
    parser.add_argument("--drain-timeout", type=float, default=600)
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="portal_bench_soak")
    args = parser.parse_args(argv)
    if "bench" not in args.database:
        parser.error("the database name must contain 'bench' (it is dropped and recreated)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    stack = Stack()
    code = 1
    try:
        code = run(args, stack)
    except BenchError as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        code = 130
    finally:
        stack.stop(keep_logs=args.keep_logs or code != 0)
        with contextlib.suppress(Exception):
            drop_database(f"{args.database}_kamailio")
        if code != 0 or args.keep_logs:
            print(f"logs: {stack.tmp}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
