"""gunicorn settings for the web processes: ``gunicorn -c deploy/gunicorn.conf.py portal.wsgi``.

With several worker processes, ``/metrics`` sums every process's counters only in
prometheus_client's multiprocess mode: set ``PROMETHEUS_MULTIPROC_DIR`` in the service's
environment (not in the settings: it must be set before prometheus_client is first imported)
to an empty directory that exists, and empty it at each full start, e.g.
``rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"``.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = 4  # set DATABASE_POOL=4 too
# No access log of gunicorn's own: it would write token links (/einladung/<token>/) as they
# are. The portal's request_finished line is the access log, as JSON, with them cut out.
accesslog = None


def child_exit(server, worker):
    """A worker that ended keeps its counters in the sum; its live gauges go."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
