"""cProfile (CPU time) inside the bench's Celery worker, for ``notifications.py --profile``.

The worker's settings module (``bench.fast_hasher_settings``) calls :func:`install` when
``BENCH_PROFILE_DIR`` is set: the main process is profiled from ``worker_ready`` to
``worker_shutdown``, each pool process from its start to its end, and each writes
``<dir>/<role>-<pid>.prof``. The timer is CPU time, so waiting for the broker, the database or
the servers does not count; read the files with ``python -m pstats``.
"""

from __future__ import annotations

import cProfile
import os
import time
from pathlib import Path


def install(directory: str) -> None:
    from celery import signals

    profilers: dict[str, cProfile.Profile] = {}

    def start(role: str) -> None:
        profiler = cProfile.Profile(time.process_time)
        profilers[role] = profiler
        profiler.enable()

    def stop(role: str) -> None:
        profiler = profilers.pop(role, None)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(Path(directory) / f"{role}-{os.getpid()}.prof")

    signals.worker_ready.connect(lambda **kw: start("main"), weak=False)
    signals.worker_shutdown.connect(lambda **kw: stop("main"), weak=False)
    signals.worker_process_init.connect(lambda **kw: start("pool"), weak=False)
    signals.worker_process_shutdown.connect(lambda **kw: stop("pool"), weak=False)
