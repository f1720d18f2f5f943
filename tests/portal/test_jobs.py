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
