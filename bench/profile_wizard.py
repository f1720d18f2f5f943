"""Profile the wizard's requests in this process: where a step's server time goes.

    .venv/bin/python bench/profile_wizard.py --redis            # 30 flows, cProfile top 25
    .venv/bin/python bench/profile_wizard.py --redis --step "4 rufnummer GET" --top 40
    .venv/bin/python bench/profile_wizard.py --redis --no-profile --sql 300

Creates a fresh PostgreSQL database (dropped and recreated), migrates it, loads the demo data
and the bench customer of bench/wizard.py, then runs logged-in flows (dashboard, steps 2 to 6,
cart) through Django's test Client with production settings (no DEBUG); with ``--redis`` a
private redis-server holds the cache and the sessions, as in ``--topology production``.
Prints the median server time and queries per request (``--sql``: their SQL too), then the
cProfile of the chosen requests (``--step``: a part of their label; default all): own time
summed by package, the project's functions by cumulative time, all functions by cumulative
and by own time. Under the profiler the times are about twice the real ones:
``--no-profile`` for those. Figures are printed, never asserted. See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import common  # first: re-starts the benchmark with the project's venv if needed
import wizard  # bench/wizard.py: its bench customer, flow data and URL patterns
from common import BenchError, Redis, free_port, recreate_database, settings_env, setup_django


class Flows:
    """Logged-in flows through the test Client; each request timed, counted, maybe profiled."""

    def __init__(self, profile: str | None, profiler: cProfile.Profile) -> None:
        self.profile = profile
        self.profiler = profiler
        self.times: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}
        self.queries: dict[str, int] = {}
        self.sql: dict[str, list[str]] = {}

    def request(self, client, label: str, method: str, path: str, data=None, status=200):
        from django.db import close_old_connections, connection
        from django.test.utils import CaptureQueriesContext

        profiled = self.profile is not None and self.profile in label
        with CaptureQueriesContext(connection) as captured:
            if profiled:
                self.profiler.enable()
            started, cpu_started = time.perf_counter(), time.process_time()
            response = getattr(client, method.lower())(path, data or {})
            close_old_connections()  # as at the end of a WSGI request (the test Client does not)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            if profiled:
                self.profiler.disable()
        if response.status_code != status:
            raise BenchError(f"{label}: {method} {path} answered {response.status_code}")
        self.times.setdefault(label, []).append(elapsed)
        self.cpu.setdefault(label, []).append(cpu)
        self.queries[label] = len(captured)
        self.sql[label] = [q["sql"] for q in captured.captured_queries]
        return response

    def run(self, client, spec) -> None:
        r = self.request
        r(client, "dashboard GET", "GET", "/")
        start = r(client, "1 trunk GET (skipped)", "GET", "/sip-trunk/einrichten/", status=302)
        new_url = start["Location"]
        r(client, "2 benutzerdaten GET", "GET", new_url)
        created = r(client, "2 benutzerdaten POST", "POST", new_url, wizard.USER_DATA, status=302)
        draft = re.search(rf"/({wizard.UUID})/", created["Location"]).group(1)
        steps = (
            (
                "3 benutzeranmeldung",
                "benutzeranmeldung",
                {
                    "username": spec.username,
                    "auth_email": f"{spec.username}@example.com",
                    "auth_email_repeat": f"{spec.username}@example.com",
                    "mobile": "0170 1234567",
                },
            ),
            ("4 rufnummer", "rufnummer", {"number": spec.number}),
            ("5 konferenzpaket", "konferenzpaket", {"package": spec.package}),
            ("6 warenkorb", "warenkorb", {}),
        )
        for label, slug, data in steps:
            url = f"/sip-trunk/einrichtung/{draft}/{slug}/"
            r(client, f"{label} GET", "GET", url)
            r(client, f"{label} POST", "POST", url, data, status=302)
        r(client, "cart GET", "GET", "/sip-trunk/warenkorb/")


def print_areas(profiler: cProfile.Profile, requests: int) -> None:
    """Own time summed by package (django.db, django.template, psycopg, the project...)."""
    stats = pstats.Stats(profiler)
    areas: dict[str, float] = {}
    for (path, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        area = "builtins"
        if "site-packages/" in path:
            parts = path.split("site-packages/")[1].split("/")
            area = "/".join(parts[:2]) if parts[0] == "django" else parts[0]
        elif path.startswith(str(common.BASE_DIR)):
            area = "project: " + path[len(str(common.BASE_DIR)) + 1 :].split("/")[0]
        elif "/lib/python" in path:
            area = "stdlib"
        areas[area] = areas.get(area, 0.0) + tottime
    total = sum(areas.values())
    print(f"\n--- own time by package, ms per request ({requests} requests) ---")
    for area, seconds in sorted(areas.items(), key=lambda item: -item[1])[:20]:
        print(f"{area:<32} {seconds / requests * 1000:7.2f}  {seconds / total:6.1%}")


def print_stats(profiler: cProfile.Profile, top: int) -> None:
    own = re.escape(str(common.BASE_DIR)) + r"/(?!\.venv)"
    for key, restriction, title in (
        ("cumulative", (own, top), "the project's functions by cumulative time"),
        ("cumulative", (top,), "all functions by cumulative time"),
        ("tottime", (top,), "all functions by own time"),
    ):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(key).print_stats(*restriction)
        text = out.getvalue().replace(str(common.BASE_DIR) + "/", "")
        print(f"\n--- {title} ---")
        print(text[text.find("   ncalls") :].rstrip())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flows", type=int, default=30, help="measured flows (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured flows (default 3)")
    parser.add_argument("--step", default="", help="profile requests whose label has this")
    parser.add_argument("--no-profile", action="store_true", help="times without the profiler")
    parser.add_argument(
        "--cpu", action="store_true", help="profile CPU time of this process, not wall time"
    )
    parser.add_argument("--top", type=int, default=25, help="profile lines (default 25)")
    parser.add_argument("--sql", type=int, default=0, help="print the SQL (this many chars)")
    parser.add_argument("--redis", action="store_true", help="cache and sessions in Redis")
    parser.add_argument("--pool", type=int, default=0, help="DATABASE_POOL (default: none)")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="portal_bench_profile")
    args = parser.parse_args(argv)
    if "bench" not in args.database or not re.fullmatch(r"[a-z_][a-z0-9_]*", args.database):
        parser.error("--database must be a plain lowercase name containing 'bench'")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    redis = redis_dir = None
    try:
        recreate_database(args.postgres, args.database)
        env = settings_env(f"{args.postgres}/{args.database}")
        if args.redis:
            redis_dir = Path(tempfile.mkdtemp(prefix="bench-redis-"))
            redis = Redis(free_port(), redis_dir, redis_dir / "redis.log")
            redis.wait_ready()
            env["REDIS_URL"] = redis.url
        if args.pool:
            env["DATABASE_POOL"] = str(args.pool)
        setup_django(env)
        from django.test import Client

        from portal.models import User

        specs = wizard.load_data(args.warmup + args.flows)
        profiler = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
        flows = Flows(None if args.no_profile else args.step, profiler)
        warm = Flows(None, profiler)
        client = Client()  # one handler (middleware loaded once), as in a web process
        for i, spec in enumerate(specs):
            client.logout()
            client.force_login(User.objects.get(username=spec.admin))
            (warm if i < args.warmup else flows).run(client, spec)
        print(
            f"{args.flows} flows after {args.warmup} warm-up flows, "
            f"{'sessions and cache in Redis' if args.redis else 'no Redis'}, DEBUG off"
            + ("" if args.no_profile else "; times under the profiler")
        )
        print(f"{'request':<26} {'queries':>7} {'p50 ms':>8} {'CPU ms':>8}")
        for label, values in flows.times.items():
            ms = statistics.median(values) * 1000
            cpu = statistics.mean(flows.cpu[label]) * 1000
            print(f"{label:<26} {flows.queries[label]:>7} {ms:>8.1f} {cpu:>8.2f}")
        every = [cpu for values in flows.cpu.values() for cpu in values]
        print(
            f"{'mean CPU ms per request':<26} {'':>7} {'':>8} {statistics.mean(every) * 1000:>8.2f}"
        )
        if args.sql:
            for label, statements in flows.sql.items():
                print(f"\n{label}:")
                for statement in statements:
                    print(f"  {statement[: args.sql]}")
        profiled = sum(len(v) for k, v in flows.times.items() if args.step in k)
        if not args.no_profile and profiled:
            print_areas(profiler, profiled)
            print_stats(profiler, args.top)
        return 0
    except BenchError as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if redis is not None:
            redis.keep_log = False
            redis.stop()
            shutil.rmtree(redis_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
