"""The fault schedule of bench/soak.py, in three tracks that run side by side.

* processes: SIGKILL a Celery worker (its whole process group) and start it again after
  ``hold`` seconds; the same for a web node; then stop redis-server (SIGTERM, no
  persistence: the broker's queue, the cache and the cached sessions are gone) and start a
  new one on the same port after ``hold`` seconds;
* messages: the SMTP sink answers DATA with 451, then with 554; then the Twilio stand-in
  answers 429, then 500; ``hold`` seconds each;
* registrar: Kamailio's database takes no connections (``ALLOW_CONNECTIONS false`` and its
  sessions terminated, which holds for superusers too) for ``hold`` seconds. The portal's
  registrar backend and Kamailio itself lose the database alike, as when its server fails.

Each step is printed with its time since the start of the orders.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

import psycopg
from common import BenchError, Child
from psycopg import sql


class Schedule:
    def __init__(self, *, hold: float, gap: float, stop: threading.Event, started: float) -> None:
        self.hold = hold
        self.gap = gap
        self.stop = stop
        self.started = started
        self.errors: list[str] = []
        self.log: list[str] = []
        self._lock = threading.Lock()

    def note(self, text: str) -> None:
        line = f"  fault +{time.monotonic() - self.started:5.1f} s: {text}"
        with self._lock:
            self.log.append(line)
        print(line, flush=True)

    def pause(self, seconds: float) -> None:
        self.stop.wait(seconds)

    def track(self, steps: list[tuple[str, Callable[[], None], Callable[[], None]]]) -> None:
        """Each step: break, wait ``hold``, repair, wait ``gap``. Repairs run even on stop."""
        for name, cause, repair in steps:
            if self.stop.is_set():
                return
            try:
                self.note(f"{name} begins")
                cause()
                self.pause(self.hold)
            except Exception as exc:
                self.errors.append(f"{name}: {exc}")
            finally:
                try:
                    repair()
                    self.note(f"{name} ends")
                except Exception as exc:
                    self.errors.append(f"{name} repair: {exc}")
            self.pause(self.gap)

    def run(self, tracks: list[list]) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self.track, args=(steps,), name=f"faults-{i}", daemon=True)
            for i, steps in enumerate(tracks)
        ]
        for thread in threads:
            thread.start()
        return threads


def kill(child: Child) -> None:
    """SIGKILL the child's whole process group (gunicorn's or Celery's workers included)."""
    child.kill_group()
    child.process.wait(timeout=10)


class Restartable:
    """A slot for a child that the schedule kills and starts again (``make`` starts one).

    Between the faults it is supervised as systemd's ``Restart=always`` would: a child that
    exits by itself is started again, and counted in ``exits``.
    """

    def __init__(self, name: str, make: Callable[[], Child], ready: Callable[[Child], None]):
        self.name = name
        self.make = make
        self.ready = ready
        self.lock = threading.Lock()
        self.down = False  # killed on purpose: not restarted by the supervisor
        self.exits = 0
        self.child = make()
        ready(self.child)

    def kill(self) -> None:
        with self.lock:
            self.down = True
            kill(self.child)
            self.child.keep_log = True

    def restart(self) -> None:
        with self.lock:
            self.down = False
            self._start()

    def supervise(self) -> None:
        with self.lock:
            if not self.down and self.child.process.poll() is not None:
                self.exits += 1
                self.child.keep_log = True
                self._start()

    def _start(self) -> None:
        if self.child.process.poll() is None:
            return
        self.child.stop()
        self.child = self.make()
        self.ready(self.child)

    def stop(self) -> None:
        self.child.stop()


def supervise(slots: list[Restartable], stop: threading.Event) -> None:
    """Start again what exited by itself, every second, until ``stop``."""
    while not stop.wait(1):
        for slot in slots:
            try:
                slot.supervise()
            except Exception as exc:
                print(f"  supervisor: {slot.name}: {exc}", file=sys.stderr, flush=True)


def registrar_database(postgres: str, database: str) -> tuple[Callable, Callable]:
    """Cause and repair of "the registrar's database is unreachable"."""

    def run(allow: bool) -> None:
        with psycopg.connect(f"{postgres}/postgres", autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}").format(
                    sql.Identifier(database), sql.SQL("true" if allow else "false")
                )
            )
            if not allow:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    [database],
                )

    return (lambda: run(False)), (lambda: run(True))


def check(schedule: Schedule) -> None:
    if schedule.errors:
        raise BenchError("the fault schedule failed: " + "; ".join(schedule.errors))
