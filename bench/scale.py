"""Benchmark: server time of the management pages at 10 and at 10,000 workplaces.

    .venv/bin/python bench/scale.py                  # 25 measured requests per page and size
    .venv/bin/python bench/scale.py --repeat 50

Creates a fresh PostgreSQL database (dropped and recreated), migrates it, loads the demo data
(for the packages) and builds the customer of tests/scale_data.py: one trunk with 100
numbers and 10 workplaces. Every page is requested in this process through Django's test
Client with production settings (no DEBUG) and timed from the request to the last byte of
the response; the customer then grows to 100,000 numbers and 10,000 workplaces (with logins,
orders, audit events, 20 package changes in the cart) and every page is timed again. Prints
per page the queries, the median server time at both sizes and their ratio. Timings are only
printed, never asserted; the query counts are asserted by tests/workplaces/test_scale.py.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import re
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import common  # noqa: F401 (first: re-starts the benchmark with the project's venv if needed)
import django
from common import BenchError, recreate_database, settings_env, setup_django

SMALL = {"workplaces": 10, "numbers": 100, "changes": 1}
LARGE = {"workplaces": 10_000, "numbers": 100_000, "changes": 20}
EXPORT = "CSV export (all rows)"


@dataclass
class Page:
    label: str
    url: Callable[[object], tuple[str, dict]]


def pages() -> list[Page]:
    """The pages of issue 5 (overview, detail, quotas, numbers) and their neighbours."""
    from django.urls import reverse

    def overview(**params):
        return lambda w: (reverse("manage:overview"), params)

    def on_focus(name):
        return lambda w: (reverse(name, args=[w.focus.code]), {})

    def numbers(**params):
        return lambda w: (reverse("manage:numbers", args=[w.scale.trunk.code]), params)

    step4 = lambda w: reverse("wizard:step", args=[w.draft.code, "rufnummer"])  # noqa: E731
    return [
        Page("Arbeitsplätze verwalten", overview()),
        Page("… page 40, 60 rows", overview(per_page="60", page="40")),
        Page("… search name", overview(q="Schmidt")),
        Page("… search number", overview(q="030 2200007")),
        Page("… filter status+package", overview(status="active", package="konferenz-plus")),
        Page(EXPORT, lambda w: (reverse("manage:export"), {})),
        Page("Arbeitsplatz (detail)", on_focus("manage:detail")),
        Page("Arbeitsplatz bearbeiten", on_focus("manage:edit")),
        Page("Paket ändern", on_focus("orders:change_package")),
        Page("Löschen (confirmation)", on_focus("orders:delete")),
        Page("Kontingente & Auftragsstatus", lambda w: (reverse("orders:status"), {})),
        Page("Ihre Aufträge", lambda w: (reverse("orders:list"), {})),
        Page("Auftrag (10 → 100 items)", lambda w: (reverse("orders:detail", args=[w.order]), {})),
        Page("Rufnummern des Trunks", numbers()),
        Page("… page 1000", numbers(page="1000")),
        Page("… only free, search", numbers(free="on", q="*20005")),
        Page("Wizard 4 Rufnummer", lambda w: (step4(w), {})),
        Page("… free, search", lambda w: (step4(w), {"q": "030 2200051", "free": "on"})),
        Page("Warenkorb (1 → 20 changes)", lambda w: (reverse("orders:cart"), {})),
        Page("Protokoll", lambda w: (reverse("portal:protokoll"), {})),
        Page("… search", lambda w: (reverse("portal:protokoll"), {"q": "mitarbeiter.0000"})),
    ]


class World:
    """The scale customer, its admin's in-process browser, a wizard draft at step 4."""

    def __init__(self) -> None:
        from django.test import Client

        from orders.services import cart_of
        from tests import scale_data
        from workplaces.models import SetupDraft

        self.scale = scale_data.create(name="Scale Bench GmbH", number="K-990001")
        self.client = Client()
        self.client.force_login(self.scale.admin)
        cart_of(self.scale.admin)
        self.draft = SetupDraft.objects.create(
            customer=self.scale.customer,
            created_by=self.scale.admin,
            trunk=self.scale.trunk,
            first_name="Neu",
            last_name="Person",
            postcode="10117",
            username="neue.person",
            auth_email="neu@scale.example",
            without_mobile=True,
        )

    def grow(self, **size) -> float:
        from django.db import connection, transaction

        from tests import scale_data

        started = time.perf_counter()
        with transaction.atomic():
            scale_data.grow(self.scale, **size)
        with connection.cursor() as cursor:
            # As autovacuum would, some time after a bulk load: statistics, and the rows moved
            # from the GIN indexes' pending lists into the indexes (the trigram searches).
            cursor.execute("VACUUM ANALYZE")
        self.focus = self.scale.focus
        self.order = self.scale.first_order.code
        return time.perf_counter() - started


def request(world: World, page: Page) -> tuple[float, int]:
    path, params = page.url(world)
    started = time.perf_counter()
    response = world.client.get(path, params)
    size = len(b"".join(response.streaming_content) if response.streaming else response.content)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise BenchError(f"{page.label}: GET {path} {params} answered {response.status_code}")
    return elapsed, size


def queries(world: World, page: Page) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    path, params = page.url(world)
    with CaptureQueriesContext(connection) as captured:
        response = world.client.get(path, params)
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured)


@dataclass
class Measured:
    median: float
    p90: float
    queries: int
    size: int


def measure(world: World, every: list[Page], repeat: int, warmup: int) -> dict[str, Measured]:
    """Round-robin over the pages, so that a change in the machine's load hits all alike."""
    times: dict[str, list[float]] = {p.label: [] for p in every}
    sizes: dict[str, int] = {}
    for _ in range(warmup):
        for page in every:
            request(world, page)
    for _ in range(repeat):
        for page in every:
            elapsed, sizes[page.label] = request(world, page)
            times[page.label].append(elapsed)
    return {
        p.label: Measured(
            statistics.median(times[p.label]),
            statistics.quantiles(times[p.label], n=10)[-1] if repeat > 1 else times[p.label][0],
            queries(world, p),
            sizes[p.label],
        )
        for p in every
    }


def export_peak(world: World) -> tuple[int, int]:
    """The CSV export's rows and the peak of Python memory while it streams (tracemalloc)."""
    from django.urls import reverse

    tracemalloc.start()
    try:
        response = world.client.get(reverse("manage:export"))
        rows = sum(piece.count(b"\n") for piece in response.streaming_content) - 1
        return rows, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def report_export(small: tuple[int, int], large: tuple[int, int], p50: float) -> None:
    print(
        f"\nCSV export: {large[0]:,} rows, p50 {p50 * 1000:.0f} ms = {large[0] / p50:,.0f} "
        f"rows/s; peak Python memory while streaming {small[1] / 1024:,.0f} KiB at "
        f"{small[0]:,} rows, {large[1] / 1024:,.0f} KiB at {large[0]:,} rows"
    )


def report(small: dict[str, Measured], large: dict[str, Measured]) -> None:
    width = max(len(label) for label in small)
    print(
        f"{'page':{width}}  {'queries':>9}  {'p50 @10':>9}  {'p50 @10k':>9}  "
        f"{'ratio':>6}  {'p90 @10k':>9}  {'KiB @10k':>8}"
    )
    for label, s in small.items():
        big = large[label]
        count = f"{s.queries}" if s.queries == big.queries else f"{s.queries}→{big.queries}"
        print(
            f"{label:{width}}  {count:>9}  {s.median * 1000:7.1f}ms  {big.median * 1000:7.1f}ms  "
            f"{big.median / s.median:5.2f}x  {big.p90 * 1000:7.1f}ms  {big.size / 1024:8.1f}"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeat", type=int, default=25, help="measured requests per page and size (default 25)"
    )
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured rounds first (default 2)")
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL without database (default: %(default)s)",
    )
    parser.add_argument(
        "--database",
        default="portal_bench_scale",
        help="database to drop and create; must contain 'bench' (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    args.postgres = args.postgres.rstrip("/")
    if args.repeat < 1 or args.warmup < 0:
        parser.error("--repeat must be at least 1, --warmup at least 0")
    if "bench" not in args.database or not re.fullmatch(r"[a-z_][a-z0-9_]*", args.database):
        parser.error("--database must be a plain lowercase name containing 'bench'")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        started = time.perf_counter()
        pg_version = recreate_database(args.postgres, args.database)
        setup_django(settings_env(f"{args.postgres}/{args.database}"))
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_demo", force=True, stdout=io.StringIO())  # the packages
        # Without DEBUG, whitenoise's manifest storage needs collectstatic (into var/static).
        call_command("collectstatic", interactive=False, verbosity=0)
        world = World()
        world.grow(**SMALL)
        print(
            f"setup: database {args.database} recreated, migrated, demo data, collectstatic, "
            f"small customer ({time.perf_counter() - started:.1f} s)"
        )
        print(
            f"stack: Django {django.get_version()} test Client in this process (no WSGI "
            f"server, no network), Python {platform.python_version()}, PostgreSQL "
            f"{pg_version}, {os.cpu_count()} CPUs; DJANGO_DEBUG unset"
        )
        every = pages()
        small = measure(world, every, args.repeat, args.warmup)
        small_export = export_peak(world)
        took = world.grow(**LARGE)
        print(
            f"grown to {LARGE['workplaces']:,} workplaces and {LARGE['numbers']:,} numbers "
            f"with COPY, then VACUUM ANALYZE ({took:.1f} s)"
        )
        large = measure(world, every, args.repeat, args.warmup)
        large_export = export_peak(world)
        print(
            f"\n{args.repeat} requests per page and size after {args.warmup} warm-up rounds; "
            "server time = Client.get() until the last byte of the body\n"
        )
        report(small, large)
        report_export(small_export, large_export, large[EXPORT].median)
        return 0
    except BenchError as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
