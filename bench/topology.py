"""The production topology for bench/wizard.py: gunicorn, a Celery worker, Redis, PostgreSQL.

``--topology production`` starts a private redis-server (broker, cache and sessions), the
Celery worker that processes the orders and sends their messages, and gunicorn with the
worker class and counts that the README recommends for production. The web processes get a
psycopg pool (``DATABASE_POOL``). After the flows, it waits until every message of every
measured order is sent and gives the time from "Kostenpflichtig bestellen" to the last one.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from common import BenchError

#: What the README recommends for production on a two-core machine (see its section).
WORKER_CLASS = "gthread"
WORKERS = 2
THREADS = 4
DATABASE_POOL = 4
CELERY_CONCURRENCY = 2


@dataclass(frozen=True)
class Web:
    """gunicorn's worker class, processes and threads per process."""

    worker_class: str = "sync"
    workers: int = 2
    threads: int = 1

    def options(self) -> list[str]:
        options = ["-w", str(self.workers), "-k", self.worker_class]
        if self.worker_class == "gthread":
            options += ["--threads", str(self.threads)]
        return options

    def describe(self) -> str:
        if self.worker_class == "gthread":
            return f"{self.workers} gthread workers × {self.threads} threads"
        return f"{self.workers} {self.worker_class} workers"


def production_env(env: dict[str, str], redis_url: str, pool: int) -> dict[str, str]:
    """The web settings with Redis (broker, cache, sessions) and a connection pool."""
    production = {**env, "REDIS_URL": redis_url}
    if pool:
        production["DATABASE_POOL"] = str(pool)
    return production


def worker_env(env: dict[str, str], redis_url: str) -> dict[str, str]:
    """The worker's settings: Redis, no pool (prefork children keep one connection each)."""
    return {**env, "REDIS_URL": redis_url}


def seconds_until_sent(placed: list[tuple[str, float]], timeout: float) -> list[float]:
    """Per order: from its "bestellen" POST (wall clock) until its last message was sent.

    Waits until every order is completed and has messages, all sent; fails on a failed
    order or message, or after ``timeout`` seconds.
    """
    from django.db import connections
    from django.db.models import Count, Max, Q

    from notifications.models import Notification
    from orders.models import Order

    started = dict(placed)
    deadline = time.monotonic() + timeout
    try:
        while True:
            rows = (
                Order.objects.filter(code__in=started)
                .annotate(
                    messages=Count("notifications"),
                    unsent=Count(
                        "notifications", filter=~Q(notifications__status=Notification.Status.SENT)
                    ),
                    last_sent=Max("notifications__sent_at"),
                )
                .values_list("code", "status", "messages", "unsent", "last_sent")
            )
            rows = list(rows)
            failed = [str(code) for code, status, *_ in rows if status == Order.Status.FAILED]
            failed_messages = Notification.objects.filter(
                order__code__in=started, status=Notification.Status.FAILED
            ).count()
            if failed or failed_messages:
                raise BenchError(f"{len(failed)} orders, {failed_messages} messages failed")
            done = [
                row
                for row in rows
                if row[1] == Order.Status.COMPLETED and row[2] > 0 and row[3] == 0
            ]
            if len(done) == len(started):
                return [last_sent.timestamp() - started[str(code)] for code, *_, last_sent in done]
            if time.monotonic() > deadline:
                raise BenchError(
                    f"after {timeout:.0f} s only {len(done)} of {len(started)} orders have "
                    "all their messages sent"
                )
            time.sleep(0.2)
    finally:
        connections.close_all()


def describe_sent(seconds: list[float]) -> str:
    quantiles = statistics.quantiles(seconds, n=100, method="inclusive")
    p50, p95 = quantiles[49], quantiles[94]
    return f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms over {len(seconds)} orders"


def now() -> float:
    """Wall-clock seconds, comparable with the database's ``sent_at`` on this machine."""
    return datetime.now(UTC).timestamp()


#: Flows per second of the issue's starting point (50 flows, concurrency 4, 2 sync workers).
BASELINE_FLOWS_PER_SECOND = 1.87


def rows(results, wizard_requests: int) -> list[tuple[str, str, str]]:
    """The production topology's lines under the table (label, value, note)."""
    phase, flows = results.logged_in, len(results.logged_in.results)
    out = [
        (
            "flows/s without login",
            f"{flows / phase.wall:.2f}",
            f"{flows} more flows that start logged in, in {phase.wall:.1f} s",
        )
    ]
    if phase.server_cpu is not None:
        out.append(
            (
                "web CPU ms per wizard req",
                f"{phase.server_cpu / (flows * wizard_requests) * 1000:.2f}",
                f"gunicorn workers, flows without login ({wizard_requests} requests each)",
            )
        )
    orders = len(results.sent)
    if results.worker_cpu is not None:
        out.append(
            (
                "worker CPU ms per order",
                f"{results.worker_cpu / orders * 1000:.1f}",
                "Celery main and pool processes, processing and messages",
            )
        )
    out.append(("bestellen → messages sent", "", describe_sent(results.sent)))
    return out


def targets(results, steps: dict, healthz: tuple[float, float], wizard_requests: int) -> list:
    """One line per target of the issue: reached or not, with the figure."""
    slow_p50 = [name for name, (p50, _p95) in steps.items() if p50 > 3 * healthz[0]]
    slow_p95 = [name for name, (_p50, p95) in steps.items() if p95 > 5 * healthz[1]]
    phase = results.logged_in
    flows = len(phase.results)
    rate = flows / phase.wall
    sent_p50 = statistics.median(results.sent)

    def mark(ok: bool) -> str:
        return "reached    " if ok else "NOT reached"

    lines = [
        f"{mark(not slow_p50)} every wizard step p50 <= 3x /healthz p50"
        + (f" (over: {', '.join(slow_p50)})" if slow_p50 else ""),
        f"{mark(not slow_p95)} every wizard step p95 <= 5x /healthz p95"
        + (f" (over: {', '.join(slow_p95)})" if slow_p95 else ""),
    ]
    if phase.server_cpu is not None:
        cpu = phase.server_cpu / (flows * wizard_requests) * 1000
        lines.append(f"{mark(cpu <= 5)} web CPU per wizard request <= 5 ms ({cpu:.2f} ms)")
    goal = 3 * BASELINE_FLOWS_PER_SECOND
    lines.append(f"{mark(rate >= goal)} flows/s without login >= {goal:.2f} ({rate:.2f})")
    lines.append(f"{mark(sent_p50 < 2)} bestellen → all messages sent p50 < 2 s ({sent_p50:.2f} s)")
    return lines


def add_cpu(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before
