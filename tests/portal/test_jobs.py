"""Services hand tasks to a worker by name, through one helper (``portal.celery.enqueue``)."""

from __future__ import annotations

import subprocess
import sys

from django.conf import settings

PROBE = """
import django
django.setup()
from portal.celery import app, enqueue
name = "notifications.tasks.sweep"
print(name in app.tasks)
print(enqueue(name))
print(name in app.tasks)
"""


def test_a_web_process_that_imported_no_tasks_module_still_finds_the_task():
    """A web process imports no ``tasks`` module by itself; enqueue must still find the task
    (in-process without a broker: a lost task would lose an order or a message)."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.split() == ["False", "True", "True"], result.stderr[-2000:]


THREADS_PROBE = """
import threading
import django
django.setup()
from portal.celery import enqueue
start = threading.Barrier(8)
failures = []
def hand_over():
    start.wait()
    try:
        enqueue("notifications.tasks.sweep")
    except Exception as exc:
        failures.append(repr(exc))
threads = [threading.Thread(target=hand_over) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(failures or "ok")
"""


def test_threads_of_one_web_process_that_enqueue_at_once_all_find_the_task():
    """A gthread worker's threads may place orders at the same moment, before any tasks
    module is imported; none of them may get ``NotRegistered`` while another imports them."""
    result = subprocess.run(
        [sys.executable, "-c", THREADS_PROBE],
        cwd=settings.BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == "ok", (result.stdout[-2000:], result.stderr[-2000:])
